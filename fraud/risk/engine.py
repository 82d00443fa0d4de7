"""The local risk engine: scores a sign-in from what the site already knows.

``assess(context)`` raises signals, each with the weight the administrator gave it and an
explanation ("new device", "new country: FR"); the score is their sum, capped at 1. Cost per
sign-in: one database query (the user's history), two in-memory GeoIP look-ups, and no cache
round trip after a password check (attack protection read the failure counters with its own
before it; one otherwise); settings, IP rules and policies come from the process cache.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings as django_settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ciam.client_ip import clean_ip, network_of
from ciam.context import AuthenticationContext
from ciam.device import device_hash

from . import geo
from .history import SignInHistory, load_history
from .hooks import (
    BOT_SCORE,
    BREACHED_PASSWORD,
    BREACHED_PASSWORD_REASON,
    FAILURE_COUNTS,
    reported_signals,
)
from .models import RiskSettings, Signal
from .velocity import FailureCounts, account_key, read_counts, spend_on_sign_in

# Where the assessment is left for the receivers that run after the engine.
CONTEXT_KEY = "risk"
# Notes explain a score without being signals: they weigh nothing and force nothing.
TRUSTED_IP = "trusted_ip"
NO_HISTORY = "no_history"
COUNTERS_UNAVAILABLE = "counters_unavailable"
NOTES = frozenset({TRUSTED_IP, NO_HISTORY, COUNTERS_UNAVAILABLE})


@dataclass(frozen=True)
class RaisedSignal:
    key: str
    weight: float
    explanation: str

    def as_dict(self) -> dict:
        return {
            "key": str(self.key),
            "weight": round(self.weight, 4),
            "explanation": self.explanation,
        }


@dataclass
class RiskAssessment:
    """The engine's findings for one sign-in. ``signals`` includes zero-weight notes (trusted
    IP, no history yet) that explain a low score."""

    score: float
    signals: list[RaisedSignal] = field(default_factory=list)
    ip: str = ""
    network: str = ""
    location: geo.Location | None = None

    @property
    def keys(self) -> tuple[str, ...]:
        """Keys of the signals raised (notes left out), whatever their weight."""
        return tuple(str(s.key) for s in self.signals if s.key not in NOTES)

    def signals_as_dicts(self) -> list[dict]:
        return [s.as_dict() for s in self.signals]


def _history_signals(rs: RiskSettings, history: SignInHistory, network: str, here):
    if rs.new_device_enabled and history.has_devices and not history.device_seen:
        yield RaisedSignal(Signal.NEW_DEVICE, rs.new_device_weight, _("new device"))
    if not history.has_sign_ins:
        return
    if rs.new_network_enabled and network and not history.network_seen:
        yield RaisedSignal(
            Signal.NEW_NETWORK, rs.new_network_weight, _("new network: %s") % network
        )
    if here is None:
        return
    if rs.new_country_enabled and here.country and not history.country_seen:
        yield RaisedSignal(
            Signal.NEW_COUNTRY, rs.new_country_weight, _("new country: %s") % here.country
        )
    if rs.impossible_travel_enabled and history.last_ip and history.last_at:
        before = geo.locate(history.last_ip)
        if before is None:
            return
        hours = max(0.0, (timezone.now() - history.last_at).total_seconds() / 3600)
        speed = geo.travel_speed_kmh(before, here, hours)
        if speed is not None and speed > rs.impossible_travel_kmh:
            yield RaisedSignal(
                Signal.IMPOSSIBLE_TRAVEL,
                rs.impossible_travel_weight,
                _("impossible travel: %(from)s to %(to)s, %(km)d km in %(hours).1f h")
                % {
                    "from": before.label,
                    "to": here.label,
                    "km": geo.distance_km(before, here) or 0,
                    "hours": hours,
                },
            )


def _failure_counts(context: AuthenticationContext, ip: str, reported: dict) -> FailureCounts:
    """What attack protection read before the password check, when it read it for the
    identifier of this sign-in; else one round trip over the account's identifiers."""
    counts = reported.get(FAILURE_COUNTS)
    if (
        isinstance(counts, FailureCounts)
        and counts.identifier
        and context.identifier
        and account_key(counts.identifier) == account_key(context.identifier)
    ):
        return counts
    user = context.user
    return read_counts([context.identifier, user.get_username(), getattr(user, "email", "")], ip)


def _velocity_signals(rs: RiskSettings, context: AuthenticationContext, ip: str, reported):
    if not (rs.account_failures_enabled or rs.ip_failures_enabled):
        return
    counts = _failure_counts(context, ip, reported)
    minutes = rs.failures_window_minutes
    if not counts.available:
        yield RaisedSignal(
            COUNTERS_UNAVAILABLE, 0.0, _("failed-attempt counters unavailable (cache down)")
        )
    if rs.account_failures_enabled and counts.account >= rs.account_failures_threshold:
        yield RaisedSignal(
            Signal.ACCOUNT_FAILURES,
            rs.account_failures_weight,
            _("%(count)d failed sign-ins on the account in %(minutes)d min")
            % {"count": counts.account, "minutes": minutes},
        )
    if rs.ip_failures_enabled and counts.ip >= rs.ip_failures_threshold:
        yield RaisedSignal(
            Signal.IP_FAILURES,
            rs.ip_failures_weight,
            _("%(count)d failed sign-ins from the IP in %(minutes)d min")
            % {"count": counts.ip, "minutes": minutes},
        )
    if counts.account and context.request is not None:
        user = context.user
        identifiers = [context.identifier, user.get_username(), getattr(user, "email", "")]
        spend_on_sign_in(context.request, identifiers)


def _reported_signals(rs: RiskSettings, reported: dict):
    if rs.breached_password_enabled and reported.get(BREACHED_PASSWORD):
        reason = str(reported.get(BREACHED_PASSWORD_REASON) or "")[:100]
        yield RaisedSignal(
            Signal.BREACHED_PASSWORD,
            rs.breached_password_weight,
            _("breached or weak password") + (f": {reason}" if reason else ""),
        )
    bot = reported.get(BOT_SCORE)
    if rs.bot_enabled and isinstance(bot, int | float) and not isinstance(bot, bool):
        bot = min(1.0, max(0.0, float(bot)))
        if bot > 0:
            yield RaisedSignal(Signal.BOT, rs.bot_weight * bot, _("bot score %.2f") % bot)


def assess(context: AuthenticationContext, risk_settings: RiskSettings | None = None):
    """Score the sign-in described by ``context``; see the module docstring for the cost."""
    rs = risk_settings or RiskSettings.load()
    reported = {**reported_signals(context.request), **context.signals}
    ip = clean_ip(context.ip) or ""
    network = network_of(ip) if ip else ""
    here = geo.locate(ip)
    assessment = RiskAssessment(score=0.0, ip=ip, network=network, location=here)
    # Explanations are for administrators: written in the site's language, not the user's.
    with translation.override(django_settings.LANGUAGE_CODE):
        rule = rs.ip_rules().match(ip)
        if rule is not None and rule.action == "allow":
            label = rule.note or rule.network
            assessment.signals.append(RaisedSignal(TRUSTED_IP, 0.0, _("trusted IP: %s") % label))
            return assessment
        raised = assessment.signals
        if rule is not None and rs.untrusted_ip_enabled:
            raised.append(
                RaisedSignal(
                    Signal.UNTRUSTED_IP,
                    rs.untrusted_ip_weight,
                    _("untrusted IP: %s") % (rule.note or rule.network),
                )
            )
        if _needs_history(rs) and getattr(context.user, "pk", None) is not None:
            history = load_history(
                context.user,
                device_hash=device_hash(context.device_id),
                device_days=rs.new_device_days,
                network=network,
                country=here.country if here else "",
            )
            raised.extend(_history_signals(rs, history, network, here))
            if not history.has_sign_ins:
                raised.append(RaisedSignal(NO_HISTORY, 0.0, _("no earlier sign-in on record")))
        raised.extend(_velocity_signals(rs, context, ip, reported))
        raised.extend(_reported_signals(rs, reported))
    assessment.score = round(min(1.0, sum(s.weight for s in raised)), 4)
    return assessment


def _needs_history(rs: RiskSettings) -> bool:
    return (
        rs.new_device_enabled
        or rs.new_network_enabled
        or rs.new_country_enabled
        or rs.impossible_travel_enabled
    )
