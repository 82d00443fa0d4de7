"""What "This wasn't me" takes back of what was done to the account (``not_me.report``).

The reported activity starts at ``since``:

- a new sign-in: the time of that sign-in;
- an account change: the sign-in of the device that made it (the last ``login_succeeded`` of
  that device in the event log before the change), at most a day before the change; the change
  itself less 15 minutes when the log holds no such sign-in (an authenticator app is created
  when its setup page opens, before the change is confirmed).

What was added from ``since`` on is removed: passkeys (``passkeys.models.Passkey``) and
django-otp's authenticator apps and backup-code devices (by their ``created_at``). Email
addresses carry no date, so they are taken back through the "email changed" notifications of
the user from ``since`` on (this one included): each new address is removed and the address
before the first change is made primary again (re-created, verified, when it was deleted: the
user just proved they read it by opening its link).

Not taken back: a secondary address added without being made primary (allauth sends no
"changed" signal for it) and a second email change within the hour of the first (rate-limited,
so no notification row records it).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from allauth.account.models import EmailAddress
from django.apps import apps
from django.utils.dateparse import parse_datetime
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from fraud.events.models import EventType, SecurityEvent

from .masking import mask_email
from .models import Kind, Notification

# How far back of a change its device's sign-in is looked for, and the margin used without one.
_SESSION_LIMIT = timedelta(days=1)
_SETUP_MARGIN = timedelta(minutes=15)


def reported_since(row: Notification) -> datetime:
    """When the activity ``row`` reports began (see the module docstring)."""
    data = row.context or {}
    at = parse_datetime(data.get("at") or "") or row.created_at
    if row.kind == Kind.SUSPICIOUS_SIGN_IN:
        return at
    device = data.get("device_hash") or ""
    sign_in = None
    if device:
        sign_in = (
            SecurityEvent.objects.filter(
                user_id=row.user_id,
                type=EventType.LOGIN_SUCCEEDED,
                device_hash=device,
                created_at__lte=at,
                created_at__gte=at - _SESSION_LIMIT,
            )
            .order_by("-created_at")
            .values_list("created_at", flat=True)
            .first()
        )
    return sign_in or at - _SETUP_MARGIN


def undo_changes(row: Notification) -> dict:
    """Remove what was added to ``row.user``'s account since the reported activity began;
    returns what was done, addresses masked (for the event log and the admin alert)."""
    user = row.user
    since = reported_since(row)
    done = {"undone_since": since.isoformat()}
    done["authenticators_removed"] = sum(
        model.objects.filter(user=user, created_at__gte=since).delete()[0]
        for model in (TOTPDevice, StaticDevice)
    )
    if apps.is_installed("passkeys"):
        from passkeys.models import Passkey

        done["passkeys_removed"] = Passkey.objects.filter(
            user=user, created_at__gte=since
        ).delete()[0]
    done.update(_undo_email_changes(row, since))
    return done


def _undo_email_changes(row: Notification, since: datetime) -> dict:
    changes = list(
        Notification.objects.filter(
            user_id=row.user_id,
            kind=Kind.ACCOUNT_CHANGED,
            context__change="email_changed",
            created_at__gte=min(since, row.created_at),
        ).order_by("created_at", "pk")
    )
    if row.context.get("change") == "email_changed" and row.pk not in {c.pk for c in changes}:
        changes.insert(0, row)
    if not changes:
        return {}
    first = changes[0].context or {}
    original = first.get("old_email") or changes[0].recipient
    if not original:
        return {}
    # Opening the link proves the reader has the mailbox it was sent to.
    proven = original.lower() == (row.recipient or "").lower()
    added = {(c.context or {}).get("new_email", "").lower() for c in changes} - {
        "",
        original.lower(),
    }
    removed = []
    for address in EmailAddress.objects.filter(user_id=row.user_id):
        if address.email.lower() in added:
            removed.append(mask_email(address.email))
            address.delete()
    restored = EmailAddress.objects.filter(user_id=row.user_id, email__iexact=original).first()
    if restored is None:
        restored = EmailAddress.objects.create(
            user_id=row.user_id, email=original, verified=proven, primary=False
        )
    if proven and not restored.verified:
        restored.verified = True
        restored.save(update_fields=["verified"])
    restored.set_as_primary()
    return {"emails_removed": removed, "primary_email_restored": mask_email(original)}
