"""The console's periodic work: rolling the security event log up for the Security Center."""

from __future__ import annotations

import logging

from celery import shared_task
from django.core.cache import cache

from . import rollup

logger = logging.getLogger("ciam.fraud.console")

LOCK_KEY = "ciam:console:rollup"
LOCK_SECONDS = 15 * 60


@shared_task(name="fraud.console.roll_up_security_events", ignore_result=False)
def roll_up_security_events() -> int:
    """Roll up the closed hours not rolled up yet; the number of hours rolled up (0 when
    another worker is at it: the work is idempotent, the lock only saves doing it twice)."""
    if not cache.add(LOCK_KEY, 1, LOCK_SECONDS):
        return 0
    try:
        hours = rollup.roll_up()
    finally:
        cache.delete(LOCK_KEY)
    if hours > 1:
        logger.info("Security event roll-ups: %d hours rolled up", hours)
    return hours
