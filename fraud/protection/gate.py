"""The decisions of one attempt: before the password check, after a failure, after a success.

``check_attempt`` (receiver of ``ciam.signals.authentication_attempted``) reads every counter
the attempt needs in one cache round trip, the risk engine's failed-attempt counters included
(handed to it as ``fraud.risk.hooks.FAILURE_COUNTS``), then asks in order: IP throttling, the
brute-force block, bot detection and its CAPTCHA. ``record_failure`` (``user_login_failed``)
moves every counter of a failed sign-in (brute force, throttling, the risk engine's velocity,
the bot network counter) in one more round trip. ``record_success`` (``user_logged_in``)
forgets the failures of a sign-in that had some (brute force and the risk engine's) in one
round trip, and costs nothing otherwise.

Failure modes: an unreachable cache fails open for throttling, velocity and bot counters, and
falls back to the blocks on record in the database for brute force. An address on the allow
list (the "allow" IP rules of the risk engine) skips all of it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from django.http import HttpRequest

from ciam.client_ip import get_client_ip, network_of
from ciam.device import hash_identifier
from ciam.verdicts import Refusal

from ..risk import velocity
from ..risk.hooks import BOT_SCORE, FAILURE_COUNTS, report_signal
from ..risk.models import RiskSettings
from . import bot, breached, brute_force, decisions, throttle
from .counters import RoundTrip
from .models import AttackProtectionSettings, CaptchaMode

logger = logging.getLogger("ciam.fraud.protection")

ATTEMPT_ATTR = "ciam_protection_attempt"
_LOG_EVERY_SECONDS = 60
_last_logged = 0.0


def _log_outage(exc: Exception) -> None:
    global _last_logged
    now = time.monotonic()
    if now - _last_logged >= _LOG_EVERY_SECONDS:
        _last_logged = now
        logger.error(
            "Cache unavailable for attack protection counters, failing open: %s: %s",
            exc.__class__.__name__,
            exc,
        )


def network_key(network: str) -> str:
    return f"ciam:bot:net:{network}"


@dataclass
class Attempt:
    """What the gate learnt about one attempt, left on the request for the later steps."""

    flow: str
    identifier: str
    identifier_hash: str
    ip: str
    allow_listed: bool = False
    # Failures on record before this attempt: this identifier from this IP, and from any IP.
    pair_failures: int = 0
    account_failures: int = 0
    fingerprint: breached.PasswordFingerprint | None = None
    bot: bot.BotAssessment | None = None
    captcha_required: bool = False


def current_attempt(request: HttpRequest | None) -> Attempt | None:
    return getattr(request, ATTEMPT_ATTR, None)


def is_allow_listed(ip: str, risk: RiskSettings | None = None) -> bool:
    rule = (risk or RiskSettings.load()).ip_rules().match(ip)
    return rule is not None and rule.action == "allow"


def check_attempt(request: HttpRequest, flow: str, identifier: str) -> Refusal | None:
    """Refuse the attempt (throttled, blocked, CAPTCHA missing or wrong) or let it through."""
    protection = AttackProtectionSettings.load()
    risk = RiskSettings.load()
    ip = get_client_ip(request)
    rule = risk.ip_rules().match(ip)
    attempt = Attempt(
        flow=flow,
        identifier=identifier or "",
        identifier_hash=hash_identifier(identifier) if identifier else "",
        ip=ip,
        allow_listed=rule is not None and rule.action == "allow",
    )
    setattr(request, ATTEMPT_ATTR, attempt)
    if flow == "login" and protection.breached_enabled:
        password = request.POST.get("password", "")
        if isinstance(password, str) and password:
            attempt.fingerprint = breached.fingerprint(password, protection)
    if attempt.allow_listed:
        return None

    mode = protection.captcha_mode(flow)
    guard = brute_force.BruteForceGuard(protection)
    limiter = throttle.IPThrottle(protection)
    trip = RoundTrip()
    slots: dict[str, int] = {}
    if flow == "login" and protection.ip_throttling_enabled:
        slots["tat"] = limiter.queue_login_read(trip, ip)
    if flow == "signup" and protection.ip_throttling_enabled:
        slots["signups"], slots["signup_ttl"] = limiter.queue_signup(trip, ip)
    if flow == "login" and protection.brute_force_enabled and attempt.identifier_hash:
        slots.update(guard.queue_read(trip, attempt.identifier_hash, ip))
    # The risk engine's failed-attempt counters, for the engine to score a success with.
    risk_velocity = risk.account_failures_enabled or risk.ip_failures_enabled
    if flow == "login" and attempt.identifier and risk_velocity:
        slots["risk_account"] = trip.get(velocity.account_key(attempt.identifier))
        slots["ip_failures"] = trip.get(velocity.ip_key(ip))
    if mode != CaptchaMode.NEVER:
        if "ip_failures" not in slots:
            slots["ip_failures"] = trip.get(velocity.ip_key(ip))
        slots["network_failures"] = trip.get(network_key(network_of(ip)))
        if flow == "signup" and "signups" not in slots:
            slots["signups"] = trip.get(throttle.signup_key(ip))
    values = _run(trip)

    def value(name):
        return values[slots[name]] if values is not None and name in slots else None

    if "risk_account" in slots:
        counts = velocity.FailureCounts(
            account=int(value("risk_account") or 0),
            ip=int(value("ip_failures") or 0),
            available=values is not None,
            identifier=attempt.identifier,
        )
        report_signal(request, FAILURE_COUNTS, counts)

    # 1. Suspicious IP throttling.
    if "tat" in slots and values is not None:
        decision = limiter.login_decision(value("tat"))
        if decision.throttled:
            return decisions.refuse_throttled(request, ip, decision, protection)
    if "signup_ttl" in slots and values is not None:
        decision = limiter.signup_decision(value("signups"), value("signup_ttl"))
        if decision.throttled:
            return decisions.refuse_throttled(request, ip, decision, protection)

    # 2. Brute force.
    if "pair" in slots:
        seen = None
        if values is None:
            verdict = guard.decision_from_database(attempt.identifier_hash, ip)
        elif value("epoch") is None:
            _restore_blocks()
            verdict = guard.decision_from_database(attempt.identifier_hash, ip)
        else:
            verdict = guard.decision(value("pair"), value("account"))
            seen = {name: value(name) for name in ("pair_row", "account_row", "notified")}
        attempt.pair_failures = int(value("pair") or 0)
        attempt.account_failures = int(value("account") or 0)
        if verdict.blocked:
            if seen is not None:
                decisions.refused_while_blocked(request, attempt, verdict, guard, seen)
            if verdict.enforced:
                return decisions.refuse_blocked(request, attempt, verdict)

    # 3. Bot detection.
    if mode == CaptchaMode.NEVER:
        return None
    counts = bot.BotCounts(
        ip_failures=value("ip_failures"),
        network_failures=value("network_failures"),
        signups_from_ip=value("signups"),
        window_minutes=risk.failures_window_minutes,
    )
    attempt.bot = bot.assess(
        request,
        flow,
        counts=counts,
        identifier=attempt.identifier,
        ip_rule=rule,
        with_form=True,
        min_form_seconds=protection.min_form_seconds,
    )
    report_signal(request, BOT_SCORE, attempt.bot.score)
    if mode == CaptchaMode.WHEN_RISKY and attempt.bot.score <= protection.bot_threshold:
        return None
    return decisions.check_captcha(request, attempt, protection, mode)


def _run(trip: RoundTrip) -> list | None:
    if not len(trip):
        return []
    try:
        return trip.run()
    except Exception as exc:
        _log_outage(exc)
        return None


def _restore_blocks() -> None:
    try:
        restored = brute_force.restore_from_database()
    except Exception as exc:
        _log_outage(exc)
        return
    if restored:
        logger.warning("Cache was emptied: %d brute-force blocks written back", restored)


def record_failure(request: HttpRequest | None, identifier: str) -> None:
    """Move every counter of one failed sign-in, in one round trip.

    Without a request (``authenticate()`` called by code, not a form) only the account's
    velocity counter moves: there is no address to count against.
    """
    protection = AttackProtectionSettings.load()
    risk = RiskSettings.load()
    attempt = current_attempt(request)
    ip = (attempt.ip if attempt else get_client_ip(request)) if request is not None else ""
    allow_listed = not ip or (attempt.allow_listed if attempt else is_allow_listed(ip, risk))
    identifier_hash = hash_identifier(identifier) if identifier else ""
    guard = brute_force.BruteForceGuard(protection)
    trip = RoundTrip()
    slots: dict[str, int] = {}
    if not allow_listed:
        if protection.brute_force_enabled and identifier_hash:
            slots["pair"], slots["account"] = guard.queue_failure(trip, identifier_hash, ip)
        if protection.ip_throttling_enabled:
            throttle.IPThrottle(protection).queue_login_failure(trip, ip)
    # The risk engine's failed-attempt velocity (fraud.risk.velocity) rides along; the bot
    # score reads the IP's and the network's.
    window = risk.failures_window_minutes * 60
    if risk.account_failures_enabled and identifier:
        trip.incr(velocity.account_key(identifier), window)
    if ip and (risk.ip_failures_enabled or protection.bot_detection_enabled):
        trip.incr(velocity.ip_key(ip), window)
    if ip and protection.bot_detection_enabled:
        trip.incr(network_key(network_of(ip)), window)
    values = _run(trip)
    if values is None or "pair" not in slots:
        return
    decisions.block_crossed(
        request, guard, identifier, ip, values[slots["pair"]], values[slots["account"]]
    )


def record_success(request: HttpRequest | None) -> None:
    """A successful sign-in: the consecutive failures of its identifier (from this IP, and
    from every IP for account lockout) start again from 0, and the failures the risk engine
    saw are spent (``velocity.take_spent``), in one round trip. No cache call when there were
    none.
    """
    attempt = current_attempt(request)
    trip = RoundTrip()
    failed_before = attempt is not None and (attempt.pair_failures or attempt.account_failures)
    if failed_before and attempt.flow == "login":
        brute_force.BruteForceGuard.queue_reset(trip, attempt.identifier_hash, attempt.ip)
    velocity.queue_clear(trip, velocity.take_spent(request))
    _run(trip)
