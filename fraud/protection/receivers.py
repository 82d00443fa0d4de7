"""Receivers of attack protection, connected when the fraud app is ready.

- ``ciam.signals.authentication_attempted`` (login, sign-up, password reset): ``gate``.
- ``user_login_failed`` / ``user_logged_in``: the counters of a failure; a success forgets the
  pair's consecutive failures.
- ``ciam.signals.risk_check_requested``: a breached password at sign-in. Connected before the
  risk engine's receiver (see ``FraudConfig.ready``) so the engine scores what it reports. A
  password Have I Been Pwned did not know is not looked up again for 24 hours (per user and
  password hash).
- allauth's ``password_reset`` / ``password_changed`` / ``password_set``: a new password ends
  every brute-force block on the account.
"""

from __future__ import annotations

import logging

from allauth.account import signals as allauth_signals
from django.contrib.auth import signals as auth_signals
from django.core.cache import cache
from django.dispatch import receiver
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from ciam import signals as ciam_signals
from ciam.verdicts import Verdict

from ..events.models import EventType
from ..events.record import record_event, typed_identifier
from ..risk.hooks import BREACHED_PASSWORD, BREACHED_PASSWORD_REASON, report_signal
from . import breached, brute_force, decisions, gate, signals
from .models import AttackProtectionSettings, BruteForceBlock

logger = logging.getLogger("ciam.fraud.protection")

BREACH_NOTICE_SECONDS = 3600
# A password Have I Been Pwned did not know is not asked about again for a day: the range
# cache is per 5-character prefix, so without this most sign-ins would reach the API.
KNOWN_CLEAN_SECONDS = 24 * 3600


@receiver(ciam_signals.authentication_attempted, dispatch_uid="fraud.protection.attempt")
def check_attempt(sender, request, flow, identifier, **kwargs):
    return gate.check_attempt(request, flow, identifier)


@receiver(auth_signals.user_login_failed, dispatch_uid="fraud.protection.login_failed")
def count_failure(sender, credentials, request=None, **kwargs):
    gate.record_failure(request, typed_identifier(credentials))


@receiver(auth_signals.user_logged_in, dispatch_uid="fraud.protection.logged_in")
def forget_failures(sender, request, user, **kwargs):
    gate.record_success(request)


@receiver(ciam_signals.risk_check_requested, dispatch_uid="fraud.protection.breached_password")
def check_breached_password(sender, context, **kwargs):
    """A sign-in whose password proved right: is that password breached?"""
    request = context.request
    attempt = gate.current_attempt(request)
    if attempt is None or attempt.fingerprint is None or context.method != "password":
        return None
    protection = AttackProtectionSettings.load()
    if not protection.breached_enabled:
        return None
    user = context.user
    clean_key = _known_clean_key(user)
    check = breached.check_fingerprint(
        attempt.fingerprint, protection, online=not _cache_has(clean_key)
    )
    if not check.breached:
        if check.checked_online:
            _remember(clean_key, KNOWN_CLEAN_SECONDS)
        return None
    report_signal(request, BREACHED_PASSWORD, True)
    report_signal(request, BREACHED_PASSWORD_REASON, check.reason)
    reset_path = reverse("account_reset_password")
    blocked = protection.breached_block_login
    if _first_breach_notice_this_hour(user):
        record_event(
            EventType.BREACHED_PASSWORD,
            request=request,
            user=user,
            identifier=context.identifier,
            reason=check.reason,
            data={"flow": "login", "blocked": blocked, "source": check.source},
        )
        signals.breached_password_detected.send(
            sender=type(user),
            request=request,
            user=user,
            flow="login",
            reason=check.reason,
            blocked=blocked,
            reset_url=request.build_absolute_uri(reset_path),
            notify_user=protection.breached_notify_user,
            notify_admins=protection.breached_notify_admins,
            admin_frequency=protection.breached_admin_frequency,
        )
    if not blocked:
        return None
    return Verdict.deny(
        source="breached_password",
        reason=check.reason,
        title=_("Reset your password"),
        message=breached.breach_message(check),
        data={"action_url": reset_path, "action_label": _("Reset your password")},
    )


def _known_clean_key(user) -> str:
    """Per user and password hash: a new password (or a rehash) is a new key."""
    digest = salted_hmac("ciam.breached", f"{user.pk}:{user.password}").hexdigest()
    return f"ciam:bp:ok:{digest}"


def _cache_has(key: str) -> bool:
    try:
        return cache.get(key) is not None
    except Exception:  # the cache down: ask Have I Been Pwned (it fails open itself)
        return False


def _remember(key: str, seconds: int) -> None:
    try:
        cache.add(key, 1, seconds)
    except Exception as exc:  # the next sign-in asks again
        logger.warning("Cache unavailable to remember a clean password: %s", exc)


def _first_breach_notice_this_hour(user) -> bool:
    try:
        return bool(cache.add(f"ciam:bp:notified:{user.pk}", 1, BREACH_NOTICE_SECONDS))
    except Exception:
        return True


def _password_renewed(sender, request, user, **kwargs):
    released = brute_force.release(
        list(brute_force.blocks_of(user)), BruteForceBlock.Release.PASSWORD_RESET
    )
    if released:
        decisions.lifted(request, released, BruteForceBlock.Release.PASSWORD_RESET)


for _signal, _uid in (
    (allauth_signals.password_reset, "fraud.protection.password_reset"),
    (allauth_signals.password_changed, "fraud.protection.password_changed"),
    (allauth_signals.password_set, "fraud.protection.password_set"),
):
    _signal.connect(_password_renewed, dispatch_uid=_uid)
