"""Handing work to Celery once the transaction commits, from a durable outbox row.

The suite's outboxes (Sift events, security emails) insert their row in the transaction of what
it reports and queue the task that works on it only after that transaction commits, so a task
never looks for a row that is not there yet. A broker that is down must not hurt the request:
the failure is logged, the row stays pending, and the outbox's periodic task picks it up.
"""

from __future__ import annotations

import logging
from functools import partial

from django.db import transaction


def enqueue_on_commit(task, *args, logger: logging.Logger, label: str, fallback: str) -> None:
    """Queue the Celery ``task`` with ``args`` once the current transaction commits (at once
    outside a transaction).

    Never raises into the caller: a broker error is logged on ``logger`` as "Could not queue
    <label> (<error>); <fallback>". Nothing is retried here (a sign-in must not wait for a dead
    broker); the caller's row is durable and its periodic task is the retry.
    """
    transaction.on_commit(partial(_queue, task, args, logger, label, fallback), robust=True)


def _queue(task, args: tuple, logger: logging.Logger, label: str, fallback: str) -> None:
    try:
        task.apply_async(args, retry=False)
    except Exception as exc:
        logger.warning(
            "Could not queue %s (%s: %s); %s",
            label,
            type(exc).__name__,
            str(exc)[:200],
            fallback,
        )
