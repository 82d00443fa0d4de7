"""The security event log's record of the admin console: every settings change, with who made
it and each field's old and new value (secrets masked by ``ciam.admin_console``)."""

from __future__ import annotations

from django.dispatch import receiver

from ciam.admin_console.signals import settings_changed

from ..events.models import EventType
from ..events.record import record_event


@receiver(settings_changed, dispatch_uid="fraud.console.settings_changed")
def log_settings_change(sender, request, user, instance, action, changes, **kwargs):
    opts = instance._meta
    record_event(
        EventType.SETTINGS_CHANGED,
        request=request,
        user=user,
        reason=f"{opts.verbose_name} {action}"[:200],
        data={
            "model": opts.label_lower,
            "object": str(instance)[:200],
            "object_id": instance.pk,
            "action": action,
            "by": user.get_username() if user is not None else "",
            "changes": changes,
        },
    )
