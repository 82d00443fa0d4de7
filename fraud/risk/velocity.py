"""Failed sign-in counters, per account and per IP, in Django's shared cache.

Counters are fixed windows: the first failure starts a window of ``window_seconds``; the count
is the failures since. Reading all the counters of a sign-in is one ``get_many``. On the login
path, attack protection moves these keys (``account_key``, ``ip_key``) in its own round trip
(``fraud.protection.gate.record_failure``); ``record_failure`` here does the same on its own:
one MULTI/EXEC pipeline on Redis, ``add`` + ``incr`` elsewhere.

A cache outage fails open: reads answer "unknown" (no signal), writes are dropped, and the
error is logged at most once a minute per process. System check ``fraud.W010`` reports an
unreachable cache.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.cache import cache as default_cache
from django.core.cache.backends.redis import RedisCache

from ciam.client_ip import clean_ip
from ciam.device import hash_identifier

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


class FailureCounters:
    """The counters behind the failed-attempt velocity signals."""

    def __init__(self, window_seconds: int, cache=None) -> None:
        self.window_seconds = int(window_seconds)
        self.cache = cache or default_cache

    def record_failure(self, identifier: str, ip: str | None) -> None:
        """Count one failed sign-in for what was typed and where from."""
        keys = []
        if identifier:
            keys.append(account_key(identifier))
        ip = clean_ip(ip)
        if ip:
            keys.append(ip_key(ip))
        if not keys:
            return
        try:
            if isinstance(self.cache, RedisCache):
                self._incr_redis(keys)
            else:
                for key in keys:
                    self.cache.add(key, 0, self.window_seconds)
                    # Expired between add and incr: this one failure is lost.
                    with contextlib.suppress(ValueError):
                        self.cache.incr(key)
        except Exception as exc:
            _log_outage(exc)

    def _incr_redis(self, keys: list[str]) -> None:
        # One round trip, atomic: start each window with its expiry, then count. Django's own
        # add() + incr() would cost three round trips per key.
        client = self.cache._cache.get_client(write=True)
        pipe = client.pipeline(transaction=True)
        for key in keys:
            raw = self.cache.make_and_validate_key(key)
            pipe.set(raw, 0, ex=self.window_seconds, nx=True)
            pipe.incr(raw)
        pipe.execute()

    def read(self, identifiers: Iterable[str], ip: str | None) -> FailureCounts:
        """The failures of an account (summed over the identifiers it can be typed as: its
        username and email) and of an IP, in one round trip."""
        account_keys = sorted({account_key(i) for i in identifiers if i})
        ip = clean_ip(ip)
        keys = account_keys + ([ip_key(ip)] if ip else [])
        if not keys:
            return FailureCounts()
        try:
            values = self.cache.get_many(keys)
        except Exception as exc:
            _log_outage(exc)
            return FailureCounts(available=False)
        account = sum(int(values.get(key) or 0) for key in account_keys)
        return FailureCounts(account=account, ip=int(values.get(ip_key(ip)) or 0) if ip else 0)

    def clear_account(self, identifiers: Iterable[str]) -> None:
        """Forget an account's failures (after it signed in)."""
        try:
            self.cache.delete_many([account_key(i) for i in identifiers if i])
        except Exception as exc:
            _log_outage(exc)
