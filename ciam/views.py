"""The suite's own hosted pages (allauth serves the rest)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import signals
from .mfa.backup_codes import remaining_backup_codes


@login_required
def account_security(request):
    """Recent sign-ins, second factors and passkeys: each app adds its own section."""
    user = request.user
    sections = []
    for _receiver, section in signals.account_security_sections_requested.send(
        sender=type(user), request=request, user=user
    ):
        if section:
            sections.append(section)
    sections.sort(key=lambda s: s.get("order", 100))
    context = {
        "sections": sections,
        "totp_devices": TOTPDevice.objects.filter(user=user, confirmed=True),
        "backup_codes_remaining": remaining_backup_codes(user),
    }
    return render(request, "ciam/account_security.html", context)


def csrf_failure(request, reason=""):
    """A clear page instead of Django's technical one when a form's CSRF check fails."""
    message = _(
        "This form has expired or was sent from another site. Go back, reload the page and "
        "try again."
    )
    return render(
        request, "ciam/refused.html", {"message": message, "retry_after": None}, status=403
    )
