"""Which second factors a user can step up with."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django_otp import devices_for_user

from . import signals


def otp_devices(user) -> list:
    """The user's confirmed django-otp devices (TOTP apps and backup codes)."""
    return list(devices_for_user(user, confirmed=True))


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
