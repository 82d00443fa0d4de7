"""Delivering the Sift outbox: one row after commit, and the due ones periodically.

A worker claims a row with one conditional UPDATE (pending and due, or "sending" with an
expired lease) before sending it, so two workers never send the same row. Retryable failures
come back after an exponential delay with jitter; permanent ones are marked failed with the
reason.
"""

from __future__ import annotations

import logging
import random
from datetime import timedelta

from celery import shared_task
from django.db.models import F, Q
from django.utils import timezone

from fraud.conf import settings

from .client import SiftClient, SiftResponse
from .models import SiftOutbox, SiftSettings

logger = logging.getLogger("ciam.fraud.sift")

_MAX_ERROR = SiftOutbox._meta.get_field("last_error").max_length
Status = SiftOutbox.Status


def retry_delay(attempts: int) -> float:
    """Seconds before the next attempt: doubling from the base, capped, with "equal jitter"
    (half fixed, half random) so a recovering Sift is not hit by every row at once."""
    base = settings.SIFT_RETRY_BASE_SECONDS
    delay = min(settings.SIFT_RETRY_MAX_SECONDS, base * 2 ** max(attempts - 1, 0))
    return delay / 2 + random.uniform(0, delay / 2)


def _claimable(now):
    lease = timedelta(seconds=settings.SIFT_DELIVERY_LEASE_SECONDS)
    return Q(status=Status.PENDING, next_attempt_at__lte=now) | Q(
        status=Status.SENDING, claimed_at__lt=now - lease
    )


def delivery_client(sift_settings: SiftSettings) -> SiftClient:
    return SiftClient(sift_settings.api_key, settings.SIFT_DELIVERY_TIMEOUT)


def deliver_row(
    row_id: int, *, client: SiftClient | None = None, sift_settings: SiftSettings | None = None
) -> SiftResponse | None:
    """Send one row if this caller wins the claim; None when another worker has it, it was
    already sent, or it is not due."""
    now = timezone.now()
    claimed = SiftOutbox.objects.filter(_claimable(now), pk=row_id).update(
        status=Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return None
    row = SiftOutbox.objects.only("pk", "payload", "attempts", "event_type").get(pk=row_id)
    sift_settings = sift_settings or SiftSettings.load()
    if not sift_settings.enabled:
        _finish(row, now, status=Status.FAILED, last_error="not sent: no Sift API key is saved")
        return None
    client = client or delivery_client(sift_settings)
    response = client.send_event(row.payload, log_payload=sift_settings.log_payloads)
    if response.ok:
        _finish(row, now, status=Status.SENT, sent_at=timezone.now(), last_error="")
    elif response.retryable and row.attempts < settings.SIFT_MAX_ATTEMPTS:
        delay = retry_delay(row.attempts)
        _finish(
            row,
            now,
            status=Status.PENDING,
            next_attempt_at=timezone.now() + timedelta(seconds=delay),
            last_error=response.error[:_MAX_ERROR],
        )
        logger.info(
            "Sift %s #%s not delivered (%s); retry in %.0f s",
            row.event_type,
            row.pk,
            response.error,
            delay,
        )
    else:
        reason = response.error
        if response.retryable:
            reason = f"gave up after {row.attempts} attempts: {reason}"
        _finish(row, now, status=Status.FAILED, last_error=reason[:_MAX_ERROR])
        logger.error("Sift %s #%s failed: %s", row.event_type, row.pk, reason)
    return response


def _finish(row: SiftOutbox, claimed_at, **changes) -> None:
    # Only the claim that sent it may settle the row (a lease may have expired meanwhile).
    SiftOutbox.objects.filter(pk=row.pk, status=Status.SENDING, claimed_at=claimed_at).update(
        **changes
    )


def deliver_due(limit: int | None = None) -> int:
    """Deliver the rows that are due, oldest first; returns how many were sent.

    Stops at the first retryable failure: while Sift is down, one timeout per run is enough.
    """
    limit = limit or settings.SIFT_DELIVERY_BATCH
    now = timezone.now()
    ids = list(
        SiftOutbox.objects.filter(_claimable(now))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    if not ids:
        return 0
    sift_settings = SiftSettings.load()
    client = delivery_client(sift_settings) if sift_settings.enabled else None
    sent = 0
    for row_id in ids:
        response = deliver_row(row_id, client=client, sift_settings=sift_settings)
        if response is None:
            continue
        if response.ok:
            sent += 1
        elif response.retryable:
            break
    return sent


def purge_delivered() -> int:
    """Delete rows delivered more than ``CIAM_SIFT_OUTBOX_RETENTION_DAYS`` ago."""
    cutoff = timezone.now() - timedelta(days=settings.SIFT_OUTBOX_RETENTION_DAYS)
    deleted, _ = SiftOutbox.objects.filter(status=Status.SENT, sent_at__lt=cutoff).delete()
    return deleted


@shared_task(name="fraud.sift.deliver_event", ignore_result=True)
def deliver_event(row_id: int) -> None:
    deliver_row(row_id)


@shared_task(name="fraud.sift.deliver_due_events", ignore_result=True)
def deliver_due_events() -> int:
    return deliver_due()


@shared_task(name="fraud.sift.purge_outbox", ignore_result=True)
def purge_outbox() -> int:
    return purge_delivered()
