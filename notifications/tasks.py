"""Celery tasks of the notifications app (``celery -A config worker``; the periodic ones run
from ``celery -A config beat``, see ``notifications.schedule``)."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.exceptions import Retry

from . import delivery, digest

logger = logging.getLogger("ciam.notifications")


@shared_task(bind=True, name="notifications.send_notification", acks_late=True, ignore_result=True)
def send_notification(self, row_id: int) -> None:
    """Send one email. Delivered twice, it sends once (the row is claimed before sending).
    After an SMTP error the task comes back after the row's exponential delay; when that retry
    cannot be queued, or tasks run eagerly, the periodic task sends the row when it is due."""
    result = delivery.deliver(row_id)
    if result is None or result.retry_in is None or self.request.is_eager:
        return
    try:
        self.retry(countdown=result.retry_in, max_retries=None)
    except Retry:
        raise
    except Exception as exc:
        logger.warning("Could not queue the retry of notification #%s: %s", row_id, exc)


@shared_task(name="notifications.send_due_notifications", acks_late=True, ignore_result=True)
def send_due_notifications() -> int:
    """Send the rows left unsent: broker down when they were written, SMTP errors, dead
    workers."""
    return delivery.deliver_due()


@shared_task(name="notifications.send_digest", acks_late=True, ignore_result=True)
def send_digest(frequency: str) -> int:
    """The daily or weekly digest of administrator alerts."""
    return digest.send_digest(frequency)


@shared_task(name="notifications.purge_notifications", ignore_result=True)
def purge_notifications() -> int:
    return delivery.purge()
