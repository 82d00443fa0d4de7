"""Check a code against a user's django-otp devices, with django-otp's own throttling.

Every device keeps its own failure count (``ThrottlingMixin``): after ``n`` wrong codes it
refuses to check anything for ``factor * 2**(n-1)`` seconds, across sessions and processes.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

TOTP = "totp"
BACKUP_CODE = "backup_code"


class Outcome(enum.Enum):
    VERIFIED = "verified"
    WRONG = "wrong"
    THROTTLED = "throttled"


@dataclass(frozen=True)
class CodeCheck:
    """What became of one submitted code.

    ``method`` is ``"totp"`` or ``"backup_code"`` (what the code looked like); ``device`` is
    the device that accepted it (VERIFIED only); ``retry_after`` is the number of seconds
    until a throttled device checks codes again (THROTTLED only; None when unknown).
    """

    outcome: Outcome
    method: str
    device: Device | None = None
    retry_after: int | None = None

    @property
    def verified(self) -> bool:
        return self.outcome == Outcome.VERIFIED


def code_method(user, code: str) -> str:
    """``"totp"`` when ``code`` has the shape of one of the user's app codes, else
    ``"backup_code"``. A code is only tried on devices of its own kind, so typing a backup
    code never counts as a failure of the authenticator app, and the other way round."""
    if code.isascii() and code.isdigit():
        lengths = TOTPDevice.objects.filter(user=user, confirmed=True).values_list(
            "digits", flat=True
        )
        if len(code) in set(lengths):
            return TOTP
    return BACKUP_CODE


def check_sign_in_code(user, code: str) -> CodeCheck:
    """Try ``code`` (normalised by ``StepUpForm``) on the user's confirmed devices of the
    matching kind. A backup code that is accepted is used up."""
    method = code_method(user, code)
    model = TOTPDevice if method == TOTP else StaticDevice
    devices = model.objects.devices_for_user(user, confirmed=True)
    return _check(devices, code, method)


def check_enrolment_code(device: TOTPDevice, code: str) -> CodeCheck:
    """Try ``code`` on a TOTP device being set up (not confirmed yet)."""
    devices = TOTPDevice.objects.filter(pk=device.pk, user_id=device.user_id)
    return _check(devices, code, TOTP)


def _check(devices, code: str, method: str) -> CodeCheck:
    waits: list[int | None] = []
    tried = False
    # Row locks serialise concurrent attempts on one device, so two requests can neither use
    # the same backup code twice nor both slip past the throttle (django_otp.verify_token).
    with transaction.atomic():
        for device in devices.select_for_update():
            allowed, info = device.verify_is_allowed()
            if not allowed:
                waits.append(_seconds_left(info))
                continue
            tried = True
            if device.verify_token(code):
                return CodeCheck(Outcome.VERIFIED, method, device=device)
    if waits and not tried:
        known = [w for w in waits if w is not None]
        return CodeCheck(Outcome.THROTTLED, method, retry_after=min(known) if known else None)
    return CodeCheck(Outcome.WRONG, method)


def _seconds_left(info: dict | None) -> int | None:
    locked_until = (info or {}).get("locked_until")
    if locked_until is None:
        return None
    return max(math.ceil((locked_until - timezone.now()).total_seconds()), 1)


def throttled_message(retry_after: int | None) -> str:
    """ "Too many failed attempts. Wait 4 seconds and try again.", rounded up to a unit that
    reads well (seconds, minutes, hours, days)."""
    if retry_after is None:
        return _("Too many failed attempts. Wait a moment and try again.")
    return _("Too many failed attempts. Wait %(wait)s and try again.") % {
        "wait": _duration(retry_after)
    }


def _duration(seconds: int) -> str:
    # Each unit spelled out, so makemessages finds every plural form.
    if seconds >= 2 * 86400:
        days = math.ceil(seconds / 86400)
        return ngettext("%(count)d day", "%(count)d days", days) % {"count": days}
    if seconds >= 2 * 3600:
        hours = math.ceil(seconds / 3600)
        return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
    if seconds >= 2 * 60:
        minutes = math.ceil(seconds / 60)
        return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
    return ngettext("%(count)d second", "%(count)d seconds", seconds) % {"count": seconds}
