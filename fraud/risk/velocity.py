"""Failed sign-in counters, per account and per IP, in Django's shared cache.

Counters are fixed windows: the first failure starts a window of the risk settings' failure
window; the count is the failures since. Attack protection moves them, in the one round trip it
makes after a failure (``fraud.protection.gate.record_failure``); ``read_counts`` reads them for
the risk engine. Every cache call goes through ``fraud.protection.counters.RoundTrip``, the
suite's one helper for counters (one MULTI/EXEC pipeline on Redis).

A cache outage fails open: reads answer "unknown" (no signal), writes are dropped, and the
error is logged at most once a minute per process. System check ``fraud.W010`` reports an
unreachable cache.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass

from ciam.client_ip import clean_ip
from ciam.device import hash_identifier

from ..protection.counters import RoundTrip

logger = logging.getLogger("ciam.fraud.risk")

_LOG_EVERY_SECONDS = 60
_last_logged = 0.0


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
    """Failures within the window; ``available`` False when the cache could not be read."""

    account: int = 0
    ip: int = 0
    available: bool = True


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


def clear_account(identifiers: Iterable[str], cache=None) -> None:
    """Forget an account's failures (after it signed in), in one round trip."""
    trip = RoundTrip(cache)
    for key in sorted({account_key(i) for i in identifiers if i}):
        trip.delete(key)
    try:
        trip.run()
    except Exception as exc:
        _log_outage(exc)
