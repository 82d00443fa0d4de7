"""ciam.queueing: a task is queued only once the transaction commits, never after a rollback,
and a broker error is logged, not raised."""

from __future__ import annotations

import logging

import pytest
from django.db import transaction

from ciam.queueing import enqueue_on_commit

logger = logging.getLogger("ciam.tests.queueing")


class RecordingTask:
    """Stands in for a Celery task: the broker is what these tests cannot reach."""

    def __init__(self, error: Exception | None = None) -> None:
        self.queued: list[tuple] = []
        self.error = error

    def apply_async(self, args, **options):
        if self.error is not None:
            raise self.error
        self.queued.append((args, options))


def enqueue(task) -> None:
    enqueue_on_commit(task, 7, logger=logger, label="row #7", fallback="later it is")


@pytest.mark.django_db(transaction=True)
def test_queued_once_the_transaction_commits_without_publish_retries():
    task = RecordingTask()
    with transaction.atomic():
        enqueue(task)
        assert task.queued == []
    assert task.queued == [((7,), {"retry": False})]


@pytest.mark.django_db(transaction=True)
def test_never_queued_after_a_rollback():
    task = RecordingTask()
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue(task)
        raise RuntimeError("the change the row reports failed")
    assert task.queued == []


@pytest.mark.django_db(transaction=True)
def test_a_broker_error_is_logged_not_raised(caplog):
    task = RecordingTask(ConnectionError("broker down"))
    with caplog.at_level(logging.WARNING, logger="ciam.tests.queueing"):
        enqueue(task)  # outside a transaction: at once
    assert "Could not queue row #7 (ConnectionError: broker down); later it is" in caplog.text
