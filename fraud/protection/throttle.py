"""Suspicious IP throttling: per IP, across accounts.

- Failed sign-ins: a token bucket per IP, ``login_failures_per_ip`` tokens (100), one given
  back every ``login_refill_minutes`` (15). Each failed sign-in spends one; with none left,
  every sign-in attempt from the IP is refused until one comes back.
- Sign-ups: at most ``signups_per_ip_per_minute`` (50) attempts in the minute that starts
  with the first one.

"Per IP" means per client: an IPv4 address, or an IPv6 /64 (``counters.counted_address``); the
``ThrottleState`` row records the /64's first address. Refusals are 429 with ``Retry-After``.
The administrators' alert (``signals.ip_throttled``), the security event and the admin's
``ThrottleState`` row happen at most once an hour per IP and kind. Addresses on the allow list
are never throttled (the gate skips them).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

from django.core.cache import cache
from django.utils import timezone

from .counters import RoundTrip, counted_address, now_ms, recorded_address
from .models import AttackProtectionSettings, ThrottleState

logger = logging.getLogger("ciam.fraud.protection")

SIGNUP_WINDOW_SECONDS = 60
ALERT_EVERY_SECONDS = 3600
LOGIN = ThrottleState.Kind.LOGIN
SIGNUP = ThrottleState.Kind.SIGNUP


def login_key(ip: str) -> str:
    return f"ciam:thr:login:{counted_address(ip)}"


def signup_key(ip: str) -> str:
    return f"ciam:thr:signup:{counted_address(ip)}"


def alert_key(kind: str, ip: str) -> str:
    return f"ciam:thr:alerted:{kind}:{counted_address(ip)}"


@dataclass(frozen=True)
class ThrottleDecision:
    """``remaining``: failed sign-ins (or sign-ups) the IP may still make."""

    kind: str
    throttled: bool = False
    remaining: int | None = None
    retry_after: int = 0


class IPThrottle:
    def __init__(self, protection: AttackProtectionSettings) -> None:
        self.capacity = protection.login_failures_per_ip
        self.interval_ms = protection.login_refill_minutes * 60_000
        self.signup_limit = protection.signups_per_ip_per_minute

    # --- failed sign-ins: token bucket ------------------------------------------------------

    def queue_login_read(self, trip: RoundTrip, ip: str) -> int:
        return trip.get(login_key(ip))

    def queue_login_failure(self, trip: RoundTrip, ip: str) -> int:
        return trip.spend(login_key(ip), self.interval_ms)

    def login_decision(self, tat_ms: int | None, now: int | None = None) -> ThrottleDecision:
        """From the bucket's TAT: throttled when less than one token is left."""
        now = now_ms() if now is None else now
        debt = max(0, int(tat_ms or 0) - now)  # ms until the bucket is full again
        allowance = self.capacity * self.interval_ms
        remaining = max(0, (allowance - debt) // self.interval_ms)
        if remaining >= 1:
            return ThrottleDecision(LOGIN, remaining=int(remaining))
        wait_ms = debt - (self.capacity - 1) * self.interval_ms
        return ThrottleDecision(
            LOGIN, throttled=True, remaining=0, retry_after=max(1, math.ceil(wait_ms / 1000))
        )

    # --- sign-ups: a one-minute window ------------------------------------------------------

    def queue_signup(self, trip: RoundTrip, ip: str) -> tuple[int, int]:
        key = signup_key(ip)
        return trip.incr(key, SIGNUP_WINDOW_SECONDS), trip.ttl(key)

    def signup_decision(self, count: int | None, ttl: int | None) -> ThrottleDecision:
        count = int(count or 0)
        if count <= self.signup_limit:
            return ThrottleDecision(SIGNUP, remaining=self.signup_limit - count)
        return ThrottleDecision(
            SIGNUP, throttled=True, remaining=0, retry_after=int(ttl or SIGNUP_WINDOW_SECONDS)
        )

    # --- the administrator's view -----------------------------------------------------------

    def live_state(self, ips: list[str]) -> dict[tuple[str, str], ThrottleDecision]:
        """The current decision of each (ip, kind), read in one round trip."""
        trip = RoundTrip()
        slots = {}
        for ip in ips:
            slots[(ip, LOGIN)] = trip.get(login_key(ip))
            slots[(ip, SIGNUP)] = trip.get(signup_key(ip))
        values = trip.run()
        now = now_ms()
        state = {}
        for (ip, kind), slot in slots.items():
            if kind == LOGIN:
                state[(ip, kind)] = self.login_decision(values[slot], now)
            else:
                count = int(values[slot] or 0)
                state[(ip, kind)] = ThrottleDecision(
                    SIGNUP,
                    throttled=count > self.signup_limit,
                    remaining=max(0, self.signup_limit - count),
                )
        return state


def clear(ip: str, kind: str) -> None:
    """Give the address its full allowance back and forget the alert."""
    key = login_key(ip) if kind == LOGIN else signup_key(ip)
    cache.delete_many([key, alert_key(kind, ip)])


def first_refusal_this_hour(kind: str, ip: str) -> bool:
    """True once an hour per IP and kind: when to alert, log and touch the admin's row."""
    try:
        return bool(cache.add(alert_key(kind, ip), 1, ALERT_EVERY_SECONDS))
    except Exception as exc:
        logger.error("Cache unavailable for the throttling alert: %s", exc)
        return False


def remember_throttled(ip: str, kind: str) -> None:
    now = timezone.now()
    ThrottleState.objects.update_or_create(
        ip=recorded_address(ip),
        kind=kind,
        defaults={"last_throttled_at": now},
        create_defaults={
            "first_throttled_at": now,
            "last_throttled_at": now,
        },
    )
