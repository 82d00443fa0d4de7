"""Which second factors a user can step up with."""

from __future__ import annotations

from allauth.account.internal.flows.login import get_authentication_records
from django.utils.translation import gettext_lazy as _
from django_otp import devices_for_user

from . import signals


def otp_devices(user) -> list:
    """The user's confirmed django-otp devices (TOTP apps and backup codes)."""
    return list(devices_for_user(user, confirmed=True))


def session_passed_second_factor(request) -> bool:
    """Whether this session's sign-in included a second factor: a django-otp device (an
    authenticator app or a backup code, ``user.is_verified()``) or a passkey, which checks
    possession and the user's face, fingerprint or PIN at once."""
    user = request.user
    if not user.is_authenticated:
        return False
    check = getattr(user, "is_verified", None)
    if callable(check) and check():
        return True
    records = get_authentication_records(request, user)
    return any(record.get("method") == "passkey" for record in records)


def available_step_up_methods(request, user) -> list[dict]:
    """Second factors to offer, in the order they are offered (passkeys come first)."""
    methods = []
    if otp_devices(user):
        methods.append({"key": "otp", "label": _("Authenticator app"), "order": 50})
    for _receiver, response in signals.step_up_methods_requested.send(
        sender=type(user), request=request, user=user
    ):
        if response:
            methods.append(response)
    return sorted(methods, key=lambda m: m.get("order", 100))
