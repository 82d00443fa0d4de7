"""Failed sign-in counters, per account and per IP, in Django's shared cache.

Counters are fixed windows: the first failure starts a window of the risk settings' failure
window; the count is the failures since. Attack protection moves them, in the one round trip it
makes after a failure (``fraud.protection.gate.record_failure``), reads them with its own
counters before the password check and hands them to the engine (``hooks.FAILURE_COUNTS``), and
forgets them with its own after a sign-in (``take_spent``). ``read_counts`` and
``clear_account`` are for a sign-in that did not go through that check (passkey, social). Every
cache call goes through ``fraud.protection.counters.RoundTrip``, the suite's one helper for
counters (one MULTI/EXEC pipeline on Redis).

A cache outage fails open: reads answer "unknown" (no signal), writes are dropped, and the
error is logged at most once a minute per process. System check ``fraud.W010`` reports an
unreachable cache.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass

from django.http import HttpRequest

from ciam.client_ip import clean_ip
from ciam.device import hash_identifier

from ..protection.counters import RoundTrip

logger = logging.getLogger("ciam.fraud.risk")

_LOG_EVERY_SECONDS = 60
_last_logged = 0.0
# The identifiers whose failures a sign-in spends once it really signs in.
_SPENT_ATTR = "ciam_risk_clear_failures"


def account_key(identifier: str) -> str:
    return f"ciam:risk:fail:acct:{hash_identifier(identifier)[:40]}"


def ip_key(ip: str) -> str:
    return f"ciam:risk:fail:ip:{ip}"


def _log_outage(exc: Exception) -> None:
    global _last_logged
    now = time.monotonic()
    if now - _last_logged >= _LOG_EVERY_SECONDS:
        _last_logged = now
        logger.error(
            "Cache unavailable for failed-attempt counters, failing open: %s: %s",
            exc.__class__.__name__,
            exc,
        )


@dataclass(frozen=True)
class FailureCounts:
    """Failures within the window; ``available`` False when the cache could not be read.

    ``identifier``: the identifier typed whose failures ``account`` counts, when attack
    protection read them before the password check; empty when ``account`` sums every
    identifier of the account (``read_counts``).
    """

    account: int = 0
    ip: int = 0
    available: bool = True
    identifier: str = ""


def read_counts(identifiers: Iterable[str], ip: str | None, cache=None) -> FailureCounts:
    """The failures of an account (summed over the identifiers it can be typed as: its
    username and email) and of an IP, in one round trip."""
    account_keys = sorted({account_key(i) for i in identifiers if i})
    ip = clean_ip(ip)
    trip = RoundTrip(cache)
    account_slots = [trip.get(key) for key in account_keys]
    ip_slot = trip.get(ip_key(ip)) if ip else None
    if not len(trip):
        return FailureCounts()
    try:
        values = trip.run()
    except Exception as exc:
        _log_outage(exc)
        return FailureCounts(available=False)
    return FailureCounts(
        account=sum(int(values[slot] or 0) for slot in account_slots),
        ip=int(values[ip_slot] or 0) if ip_slot is not None else 0,
    )


def queue_clear(trip: RoundTrip, identifiers: Iterable[str]) -> None:
    """Queue forgetting an account's failures on ``trip`` (with the caller's other moves)."""
    for key in sorted({account_key(i) for i in identifiers if i}):
        trip.delete(key)


def clear_account(identifiers: Iterable[str], cache=None) -> None:
    """Forget an account's failures (after it signed in), in one round trip."""
    trip = RoundTrip(cache)
    queue_clear(trip, identifiers)
    if not len(trip):
        return
    try:
        trip.run()
    except Exception as exc:
        _log_outage(exc)


def spend_on_sign_in(request: HttpRequest, identifiers: list[str]) -> None:
    """The failures of ``identifiers`` are forgotten if this request ends signed in (not
    denied, not abandoned): by ``take_spent`` at ``user_logged_in``."""
    setattr(request, _SPENT_ATTR, list(identifiers))


def take_spent(request: HttpRequest | None) -> list[str]:
    """The identifiers whose failures this sign-in spent; the caller clears them. Answers them
    once: whoever clears them takes them (attack protection in its own round trip, else the
    risk engine's ``user_logged_in`` receiver)."""
    if request is None:
        return []
    return request.__dict__.pop(_SPENT_ATTR, None) or []
