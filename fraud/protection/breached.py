"""Breached password detection.

A password counts as breached when it starts with the administrator's test prefix, when it is
on Django's common-password list (offline, always applies), or when Have I Been Pwned has seen
it (``hibp``, only with detection on; an outage fails open).

- Sign-up, password change and reset: ``BreachedPasswordValidator`` in
  ``AUTH_PASSWORD_VALIDATORS`` refuses such a password with a clear message.
- Sign-in: before the password is checked, the gate keeps a ``PasswordFingerprint`` of what
  was typed (the SHA-1 and two booleans, never the password); once the password proved right,
  ``check_fingerprint`` says whether it is breached (see ``receivers``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import hibp
from .models import AttackProtectionSettings

BREACHED_CODE = "password_breached"
COMMON_CODE = "password_too_common"


@dataclass(frozen=True)
class PasswordFingerprint:
    """What the sign-in path keeps of a typed password until it is known to be right."""

    sha1: str
    common: bool = False
    test_prefix: bool = False


@dataclass(frozen=True)
class BreachCheck:
    """``source``: "test_prefix", "common" or "hibp"; ``checked_online`` False when Have I
    Been Pwned was off or unavailable."""

    breached: bool
    source: str = ""
    count: int = 0
    checked_online: bool = False

    @property
    def reason(self) -> str:
        """Words for the event log and the emails."""
        if self.source == "test_prefix":
            return "test prefix"
        if self.source == "common":
            return "too common"
        if self.source == "hibp":
            return f"found in {self.count:,} breaches"
        return ""


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    return frozenset(password_validation.CommonPasswordValidator().passwords)


def is_common(password: str) -> bool:
    return password.lower().strip() in _common_passwords()


def has_test_prefix(password: str, protection: AttackProtectionSettings) -> bool:
    prefix = protection.breached_test_prefix.strip()
    return bool(prefix) and password.startswith(prefix)


def fingerprint(password: str, protection: AttackProtectionSettings) -> PasswordFingerprint:
    return PasswordFingerprint(
        sha1=hashlib.sha1(password.encode(), usedforsecurity=False).hexdigest().upper(),
        common=is_common(password),
        test_prefix=has_test_prefix(password, protection),
    )


def check_fingerprint(
    found: PasswordFingerprint,
    protection: AttackProtectionSettings,
    *,
    offline_list: bool = True,
    online: bool = True,
) -> BreachCheck:
    """Test prefix, then the common list (unless ``offline_list`` is False), then Have I Been
    Pwned when detection is on (unless ``online`` is False)."""
    if found.test_prefix:
        return BreachCheck(True, "test_prefix")
    if offline_list and found.common:
        return BreachCheck(True, "common")
    if not protection.breached_enabled or not online:
        return BreachCheck(False)
    count = hibp.breach_count(found.sha1)
    if count is None:
        return BreachCheck(False)
    return BreachCheck(count > 0, "hibp" if count else "", count, checked_online=True)


def check_password(password: str, protection: AttackProtectionSettings | None = None):
    protection = protection or AttackProtectionSettings.load()
    return check_fingerprint(fingerprint(password, protection), protection)


def _django_checks_common_passwords() -> bool:
    return any(
        isinstance(v, password_validation.CommonPasswordValidator)
        for v in password_validation.get_default_password_validators()
    )


def _flow_of(request) -> str:
    name = getattr(getattr(request, "resolver_match", None), "url_name", "") or ""
    return {
        "account_signup": "signup",
        "account_reset_password_from_key": "password_reset",
        "account_change_password": "password_change",
        "account_set_password": "password_change",
    }.get(name, "password_change")


class BreachedPasswordValidator:
    """``AUTH_PASSWORD_VALIDATORS`` entry: refuses passwords known from breaches.

    ``{"NAME": "fraud.protection.breached.BreachedPasswordValidator"}``. Applies wherever
    Django validates a new password (allauth's sign-up, password change and reset, the
    admin, ``changepassword``). Django's common-password list applies even with detection
    off or Have I Been Pwned down (here, unless ``CommonPasswordValidator`` is configured too,
    which then says it).
    """

    def validate(self, password: str, user=None) -> None:
        protection = AttackProtectionSettings.load()
        found = fingerprint(password, protection)
        check = check_fingerprint(
            found, protection, offline_list=not _django_checks_common_passwords()
        )
        if not check.breached:
            return
        self._record(check, user)
        if check.source == "common":
            raise ValidationError(_("This password is too common."), code=COMMON_CODE)
        raise ValidationError(
            _(
                "This password has appeared in a data breach, so it is unsafe to use "
                "anywhere. Choose a different password."
            ),
            code=BREACHED_CODE,
        )

    def get_help_text(self) -> str:
        return _("Your password can't be one that appeared in a known data breach.")

    @staticmethod
    def _record(check: BreachCheck, user) -> None:
        from allauth.core import context

        from ..events.models import EventType
        from ..events.record import record_event

        request = context.request
        record_event(
            EventType.BREACHED_PASSWORD,
            request=request,
            user=user,
            reason=check.reason,
            data={"flow": _flow_of(request), "refused": True, "source": check.source},
        )


def breach_message(check: BreachCheck) -> str:
    """What the sign-in page says when a breached password is refused."""
    if check.source == "hibp" and check.count:
        return ngettext(
            "The password you used has appeared in a data breach. Reset your password to sign in.",
            "The password you used has appeared in %(count)s data breaches. Reset your "
            "password to sign in.",
            check.count,
        ) % {"count": f"{check.count:,}"}
    return _("The password you used is known to attackers. Reset your password to sign in.")
