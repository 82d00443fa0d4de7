"""Writing Sift events to the outbox and handing them to Celery after commit.

A row is inserted in the transaction of what it reports, so it exists exactly when the change
does. Only after commit is the delivery task queued; if the broker is down the row stays
pending and the periodic task (``fraud.sift.deliver_due_events``) delivers it later. Nothing
here raises into the request that produced the event.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.utils import timezone

from ciam.queueing import enqueue_on_commit

from .client import SiftResponse
from .masking import mask_payload
from .models import SiftOutbox

logger = logging.getLogger("ciam.fraud.sift")

_MAX_ERROR = SiftOutbox._meta.get_field("last_error").max_length


def _row(payload: dict[str, Any], user, **fields) -> SiftOutbox:
    return SiftOutbox(
        event_type=payload.get("$type", "")[:40],
        payload={k: v for k, v in payload.items() if k != "$api_key"},
        user=user if user is not None and user.pk is not None else None,
        sift_user_id=str(payload.get("$user_id", ""))[:100],
        sift_session_id=str(payload.get("$session_id", ""))[:100],
        **fields,
    )


def enqueue(payload: dict[str, Any], *, user=None, log: bool = False) -> SiftOutbox:
    """Insert a pending row and queue its delivery once the transaction commits."""
    row = _row(payload, user)
    row.save()
    if log:
        logger.info(
            "Sift %s queued (#%s): %s",
            row.event_type,
            row.pk,
            json.dumps(mask_payload(row.payload), sort_keys=True),
        )
    dispatch(row.pk)
    return row


def dispatch(row_id: int) -> None:
    """Queue the delivery of one row once the transaction commits; a broker outage is logged,
    never raised."""
    from .tasks import deliver_event

    enqueue_on_commit(
        deliver_event,
        row_id,
        logger=logger,
        label=f"Sift event #{row_id}",
        fallback="the periodic task will deliver it",
    )


def record_synchronous(
    payload: dict[str, Any], response: SiftResponse | None, *, user=None
) -> SiftOutbox:
    """Keep the record of a call made on the login path.

    Sent: a row marked sent. A retryable failure, or no call at all (breaker open): a pending
    row, so the event still reaches Sift later. A permanent failure: a failed row.
    """
    now = timezone.now()
    if response is not None and response.ok:
        row = _row(
            payload, user, status=SiftOutbox.Status.SENT, attempts=1, sent_at=now, synchronous=True
        )
        row.save()
        return row
    if response is None or response.retryable:
        error = response.error if response is not None else "not sent: circuit breaker open"
        row = _row(payload, user, synchronous=True, last_error=error[:_MAX_ERROR])
        row.attempts = 1 if response is not None else 0
        row.save()
        dispatch(row.pk)
        return row
    row = _row(
        payload,
        user,
        status=SiftOutbox.Status.FAILED,
        attempts=1,
        synchronous=True,
        last_error=response.error[:_MAX_ERROR],
    )
    row.save()
    return row


def retry(rows) -> int:
    """Make failed or pending rows due now and queue them (the admin's "retry" action)."""
    ids = list(
        rows.filter(status__in=[SiftOutbox.Status.FAILED, SiftOutbox.Status.PENDING]).values_list(
            "pk", flat=True
        )
    )
    SiftOutbox.objects.filter(pk__in=ids).update(
        status=SiftOutbox.Status.PENDING, next_attempt_at=timezone.now(), last_error=""
    )
    for row_id in ids:
        dispatch(row_id)
    return len(ids)
