"""Sending the outbox: one row when its task runs, the due ones periodically, resends.

A sender claims a row with one conditional UPDATE (pending and due, or "sending" with an expired
lease) before sending it, so a task delivered twice, or a task racing the periodic run, sends one
email. SMTP errors (``smtplib.SMTPException``, ``OSError``: refused, timed out, reset) come
back after an exponential delay with jitter; a row that cannot be rendered fails at once.

The one window left: a worker that dies after the SMTP server accepted the message and before
the row is marked sent leaves it "sending"; after the lease it is sent again (at least once).
"""

from __future__ import annotations

import logging
import random
import smtplib
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import F, Q
from django.utils import timezone

from .conf import settings
from .emails import build_email
from .masking import mask_addresses
from .models import Notification
from .outbox import dispatch, user_address

logger = logging.getLogger("ciam.notifications")

SMTP_ERRORS = (smtplib.SMTPException, OSError)
Status = Notification.Status
_MAX_ERROR = Notification._meta.get_field("last_error").max_length
NO_ADDRESS = "the user has no verified email address"


def retry_delay(attempts: int) -> float:
    """Seconds before the next attempt: doubling from the base, capped, with "equal jitter"
    (half fixed, half random) so a recovering mail server is not hit by every row at once."""
    delay = min(settings.RETRY_MAX_SECONDS, settings.RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0))
    return delay / 2 + random.uniform(0, delay / 2)


def _claimable(now) -> Q:
    lease = timedelta(seconds=settings.LEASE_SECONDS)
    return Q(status=Status.PENDING, next_attempt_at__lte=now) | Q(
        status=Status.SENDING, claimed_at__lt=now - lease
    )


@dataclass(frozen=True)
class Delivery:
    """What one attempt did. ``retry_in``: seconds until the next attempt after an SMTP error
    (None when sent, or failed for good)."""

    sent: bool = False
    retry_in: float | None = None
    error: str = ""


def deliver(row_id: int) -> Delivery | None:
    """Send one row if this caller wins the claim; None when someone else has it, it was sent
    already, it is held for a digest or it is not due."""
    now = timezone.now()
    claimed = Notification.objects.filter(_claimable(now), pk=row_id).update(
        status=Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return None
    row = Notification.objects.select_related("user").get(pk=row_id)
    if not row.recipient and row.user_id:
        # A user's address is looked up now, not in the request that wrote the row.
        row.recipient = user_address(row.user)
        if not row.recipient:
            _settle(row, now, status=Status.FAILED, last_error=NO_ADDRESS)
            return Delivery(error=NO_ADDRESS)
        Notification.objects.filter(pk=row.pk).update(recipient=row.recipient)
    try:
        message = build_email(row)
    except Exception as exc:
        # A template or a context that cannot be rendered will not render next time either.
        logger.exception("Notification #%s (%s) cannot be rendered", row.pk, row.kind)
        error = mask_addresses(f"cannot be rendered: {type(exc).__name__}: {exc}")
        _settle(row, now, status=Status.FAILED, last_error=error[:_MAX_ERROR])
        return Delivery(error=error)
    try:
        message.send()
    except SMTP_ERRORS as exc:
        # Refused recipients are quoted in the error: stored and logged masked.
        return _failed(row, now, mask_addresses(f"{type(exc).__name__}: {exc}"))
    _settle(row, now, status=Status.SENT, sent_at=timezone.now(), last_error="")
    return Delivery(sent=True)


def _failed(row: Notification, claimed_at, error: str) -> Delivery:
    if row.attempts >= settings.MAX_ATTEMPTS:
        reason = f"gave up after {row.attempts} attempts: {error}"
        _settle(row, claimed_at, status=Status.FAILED, last_error=reason[:_MAX_ERROR])
        logger.error("Notification #%s (%s) failed: %s", row.pk, row.kind, reason)
        return Delivery(error=error)
    delay = retry_delay(row.attempts)
    _settle(
        row,
        claimed_at,
        status=Status.PENDING,
        next_attempt_at=timezone.now() + timedelta(seconds=delay),
        last_error=error[:_MAX_ERROR],
    )
    logger.warning("Notification #%s not sent (%s); retry in %.0f s", row.pk, error, delay)
    return Delivery(retry_in=delay, error=error)


def _settle(row: Notification, claimed_at, **changes) -> None:
    # Only the claim that sent it may settle the row (its lease may have expired meanwhile).
    Notification.objects.filter(pk=row.pk, status=Status.SENDING, claimed_at=claimed_at).update(
        **changes
    )


def deliver_due(limit: int | None = None) -> int:
    """Send the rows that are due, oldest first; returns how many were sent. Stops at the first
    SMTP error: while the mail server is down, one failed connection per run is enough."""
    now = timezone.now()
    ids = list(
        Notification.objects.filter(_claimable(now))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[: limit or settings.BATCH]
    )
    sent = 0
    for row_id in ids:
        result = deliver(row_id)
        if result is None:
            continue
        if result.sent:
            sent += 1
        elif result.retry_in is not None:
            break
    return sent


def resend(rows) -> int:
    """Send rows again (the admin's action): sent, failed or waiting ones, not digest entries.
    Each is queued once the transaction commits; returns how many."""
    ids = list(
        rows.filter(status__in=[Status.SENT, Status.FAILED, Status.PENDING]).values_list(
            "pk", flat=True
        )
    )
    Notification.objects.filter(pk__in=ids).update(
        status=Status.PENDING, next_attempt_at=timezone.now(), attempts=0, last_error=""
    )
    for row_id in ids:
        dispatch(row_id)
    return len(ids)


def purge() -> int:
    """Delete what was sent, digested or failed more than ``RETENTION_DAYS`` ago."""
    cutoff = timezone.now() - timedelta(days=settings.RETENTION_DAYS)
    done = [Status.SENT, Status.DIGESTED, Status.FAILED]
    deleted, _ = Notification.objects.filter(status__in=done, created_at__lt=cutoff).delete()
    return deleted
