"""A circuit breaker for the calls to Sift made while a user signs in.

After ``CIAM_SIFT_BREAKER_FAILURES`` retryable failures in a row (timeouts, network errors,
5xx, rate limiting), the breaker opens for ``CIAM_SIFT_BREAKER_COOLDOWN_SECONDS``: calls answer
at once (-1 / None) instead of waiting for timeouts. After the cool-down one call goes through;
if it fails too, the breaker opens again at once. The state lives in Django's cache so every
web process shares it; when the cache itself is down the breaker stays closed (fails open) and
Sift's own timeouts bound each call.
"""

from __future__ import annotations

import logging
import time

from django.core.cache import cache

from fraud.conf import settings

logger = logging.getLogger("ciam.fraud.sift")

OPEN_KEY = "ciam:sift:breaker:open_until"
FAILURES_KEY = "ciam:sift:breaker:failures"


class CircuitBreaker:
    """``allow()`` before a call, then ``record(succeeded)`` after it."""

    def __init__(self):
        self._failures_seen = 0

    def allow(self) -> bool:
        try:
            state = cache.get_many([OPEN_KEY, FAILURES_KEY])
        except Exception:
            logger.warning("Sift circuit breaker: cache unavailable, letting the call through")
            return True
        self._failures_seen = int(state.get(FAILURES_KEY) or 0)
        open_until = state.get(OPEN_KEY)
        if open_until and open_until > time.time():
            logger.warning(
                "Sift circuit breaker is open for %.0f more seconds: answering without "
                "calling Sift",
                open_until - time.time(),
            )
            return False
        return True

    def record(self, succeeded: bool) -> None:
        try:
            if succeeded:
                if self._failures_seen:
                    cache.delete(FAILURES_KEY)
                return
            self._record_failure()
        except Exception:
            logger.warning("Sift circuit breaker: cache unavailable, state not recorded")

    def _record_failure(self) -> None:
        threshold = max(settings.SIFT_BREAKER_FAILURES, 1)
        cooldown = settings.SIFT_BREAKER_COOLDOWN_SECONDS
        # Failures older than a few cool-downs no longer count as "in a row".
        memory = int(cooldown * 4) + 60
        if cache.add(FAILURES_KEY, 1, timeout=memory):
            failures = 1
        else:
            try:
                failures = cache.incr(FAILURES_KEY)
            except ValueError:  # expired between add and incr
                cache.set(FAILURES_KEY, 1, timeout=memory)
                failures = 1
        if failures < threshold:
            return
        cache.set(OPEN_KEY, time.time() + cooldown, timeout=max(int(cooldown), 1))
        # Half-open afterwards: the next failure alone opens the breaker again.
        cache.set(FAILURES_KEY, threshold - 1, timeout=memory)
        logger.warning(
            "Sift circuit breaker opened after %d failed calls: Sift is not called for %g seconds",
            failures,
            cooldown,
        )


def reset_breaker() -> None:
    """Close the breaker (after the administrator fixed the configuration, for instance)."""
    try:
        cache.delete_many([OPEN_KEY, FAILURES_KEY])
    except Exception:
        logger.warning("Sift circuit breaker: cache unavailable, not reset")
