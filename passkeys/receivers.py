"""Receivers of the passkeys app: the Passkeys section of Account security, and the passkey
as a step-up factor."""

from __future__ import annotations

from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

from ciam import signals as ciam_signals

from .models import Passkey


@receiver(
    ciam_signals.account_security_sections_requested, dispatch_uid="passkeys.security_section"
)
def passkeys_section(sender, request, user, **kwargs):
    passkeys = list(Passkey.objects.filter(user=user))
    return {
        "title": _("Passkeys"),
        "description": _(
            "Sign in with your face, fingerprint or screen lock instead of a password. Passkeys "
            "can't be phished or leaked."
        ),
        "template": "passkeys/section.html",
        "context": {"passkeys": passkeys, "only_way_in": _only_way_in(user, passkeys)},
        "order": 20,
    }


def _only_way_in(user, passkeys) -> Passkey | None:
    """The passkey that may not be removed: the only one of an account without a password."""
    if len(passkeys) == 1 and not user.has_usable_password():
        return passkeys[0]
    return None


@receiver(ciam_signals.step_up_methods_requested, dispatch_uid="passkeys.step_up_method")
def passkey_step_up_method(sender, request, user, **kwargs):
    if not Passkey.objects.filter(user=user).exists():
        return None
    return {
        "key": "passkey",
        "label": _("Passkey"),
        "template": "passkeys/step_up.html",
        "context": {},
        "order": 10,
    }
