"""The outbox: nothing is lost when the broker, a worker or Sift is down; retryable failures
come back with backoff, permanent ones stop; a row is sent once even if two workers take it."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from fraud.sift.models import SiftOutbox
from fraud.sift.tasks import deliver_due, deliver_due_events, deliver_row, purge_delivered
from fraud.sift.tasks import retry_delay as backoff
from tests.fraud.sift_support import (  # noqa: F401
    celery_app,
    celery_eager_fixture,
    dead_broker_fixture,
    login,
    sift_fixture,
    sift_server_fixture,
)

Status = SiftOutbox.Status


def pending_row(**fields) -> SiftOutbox:
    payload = {
        "$type": "$logout",
        "$user_id": "a" * 64,
        "$time": int(timezone.now().timestamp() * 1000),
    }
    return SiftOutbox.objects.create(event_type="$logout", payload=payload, **fields)


@pytest.fixture
def on(sift):
    sift.configure(publish_logins=True)
    return sift


# -- broker outage -----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_broker_outage_loses_nothing(on, dead_broker, user, password, caplog):
    with caplog.at_level(logging.WARNING, logger="ciam.fraud.sift"):
        response = login(Client(), "alice", password)
    assert response.status_code == 302  # the sign-in is not hurt
    row = SiftOutbox.objects.get()
    assert row.status == Status.PENDING
    assert on.server.received == []
    assert "the periodic task will deliver it" in caplog.text

    deliver_due_events()  # the periodic task, once the broker is back
    row.refresh_from_db()
    assert row.status == Status.SENT
    assert on.events("$login")[0]["$login_status"] == "$success"


# -- Sift outage -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_server_error_is_retried_later_with_backoff(on):
    row = pending_row()
    on.server.reply(http_status=503)
    before = timezone.now()
    deliver_row(row.pk)
    row.refresh_from_db()
    assert row.status == Status.PENDING
    assert row.attempts == 1
    assert "503" in row.last_error
    # First retry after 15 to 30 seconds (30 s base, half of it random).
    assert before + timedelta(seconds=15) <= row.next_attempt_at
    assert row.next_attempt_at <= timezone.now() + timedelta(seconds=30)

    assert deliver_due() == 0  # not due yet
    assert len(on.server.received) == 1

    on.server.reply()
    SiftOutbox.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    assert deliver_due() == 1
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (Status.SENT, 2, "")


@pytest.mark.parametrize(
    "reply",
    [
        {"http_status": 500},
        {"http_status": 429, "status": 60},
        {"status": -3},
        {"drop": True},
    ],
)
@pytest.mark.django_db
def test_retryable_failures_stay_pending(on, reply):
    row = pending_row()
    on.server.reply(**reply)
    deliver_row(row.pk)
    row.refresh_from_db()
    assert row.status == Status.PENDING and row.next_attempt_at > timezone.now()


@pytest.mark.parametrize("status", [51, 52, 53, 55, 56, 57, 104, 105, 112, 115])
@pytest.mark.django_db
def test_permanent_failures_are_marked_failed_and_not_retried(on, status):
    row = pending_row()
    on.server.reply(status=status, http_status=400, error_message="Nope")
    deliver_row(row.pk)
    row.refresh_from_db()
    assert row.status == Status.FAILED
    assert f"Sift status {status}" in row.last_error and "Nope" in row.last_error
    SiftOutbox.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    assert deliver_due() == 0
    assert len(on.server.received) == 1


@pytest.mark.django_db
def test_an_invalid_key_fails_the_row_with_the_reason(on):
    on.configure(api_key="not-the-key-00000000")
    row = pending_row()
    deliver_row(row.pk)
    row.refresh_from_db()
    assert row.status == Status.FAILED
    assert "Sift status 51" in row.last_error
    assert "not-the-key" not in row.last_error


@pytest.mark.django_db
def test_a_row_that_keeps_failing_is_given_up(on, settings):
    settings.CIAM_SIFT_MAX_ATTEMPTS = 3
    row = pending_row(attempts=2)
    on.server.reply(http_status=502)
    deliver_row(row.pk)
    row.refresh_from_db()
    assert row.status == Status.FAILED
    assert row.last_error.startswith("gave up after 3 attempts")


def test_backoff_doubles_with_jitter_and_is_capped(settings):
    settings.CIAM_SIFT_RETRY_BASE_SECONDS = 30
    settings.CIAM_SIFT_RETRY_MAX_SECONDS = 3600
    for attempts, full in [(1, 30), (2, 60), (5, 480), (20, 3600)]:
        delays = {backoff(attempts) for _ in range(50)}
        assert all(full / 2 <= d <= full for d in delays), (attempts, delays)
        assert len(delays) > 1  # jittered


@pytest.mark.django_db
def test_one_run_stops_at_the_first_outage(on):
    rows = [pending_row() for _ in range(3)]
    on.server.reply(http_status=500)
    assert deliver_due() == 0
    assert len(on.server.received) == 1  # not one timeout per row while Sift is down
    on.server.reply()
    SiftOutbox.objects.update(next_attempt_at=timezone.now())
    assert deliver_due() == 3
    assert {r.status for r in SiftOutbox.objects.filter(pk__in=[r.pk for r in rows])} == {"sent"}


@pytest.mark.django_db
def test_without_a_key_rows_fail_with_the_reason(sift):
    sift.configure(api_key="")
    row = pending_row()
    deliver_row(row.pk)
    row.refresh_from_db()
    assert row.status == Status.FAILED
    assert "no Sift API key" in row.last_error
    assert sift.server.received == []


# -- crashed workers and idempotency ---------------------------------------------------------


@pytest.mark.django_db
def test_a_row_is_sent_once_when_two_deliveries_are_asked(on):
    row = pending_row()
    assert deliver_row(row.pk).ok
    assert deliver_row(row.pk) is None
    assert len(on.server.received) == 1


@pytest.mark.django_db
def test_a_row_left_sending_by_a_dead_worker_is_taken_again_after_its_lease(on, settings):
    settings.CIAM_SIFT_DELIVERY_LEASE_SECONDS = 300
    now = timezone.now()
    stale = pending_row(status=Status.SENDING, attempts=1, claimed_at=now - timedelta(minutes=10))
    busy = pending_row(status=Status.SENDING, attempts=1, claimed_at=now - timedelta(seconds=5))
    assert deliver_due() == 1
    stale.refresh_from_db()
    busy.refresh_from_db()
    assert (stale.status, stale.attempts) == (Status.SENT, 2)
    assert busy.status == Status.SENDING  # its worker may still be sending it


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_for_a_row_send_it_once(on, require_postgres):
    on.server.reply(delay=0.2)  # both are in flight at once
    row = pending_row()
    barrier = threading.Barrier(2)
    results = []

    def worker():
        try:
            barrier.wait()
            results.append(deliver_row(row.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(on.server.received) == 1
    assert sorted(r is None for r in results) == [False, True]
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.SENT, 1)


@pytest.mark.django_db(transaction=True)
def test_two_periodic_runs_racing_send_each_row_once(on, require_postgres):
    rows = [pending_row() for _ in range(20)]
    barrier = threading.Barrier(2)

    def run():
        try:
            barrier.wait()
            deliver_due()
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(on.events()) == 20  # none twice
    assert SiftOutbox.objects.filter(pk__in=[r.pk for r in rows], status="sent").count() == 20


# -- retention ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_delivered_rows_are_purged_after_the_retention(settings):
    settings.CIAM_SIFT_OUTBOX_RETENTION_DAYS = 30
    old = timezone.now() - timedelta(days=31)
    purged = pending_row(status=Status.SENT, sent_at=old)
    recent = pending_row(status=Status.SENT, sent_at=timezone.now())
    failed = pending_row(status=Status.FAILED, created_at=old)
    waiting = pending_row(created_at=old)
    assert purge_delivered() == 1
    left = set(SiftOutbox.objects.values_list("pk", flat=True))
    assert left == {recent.pk, failed.pk, waiting.pk}
    assert purged.pk not in left


# -- a real worker on a real broker ----------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_celery_worker_on_redis_delivers_the_outbox(sift, redis_url, user, password):
    from celery.contrib.testing.worker import start_worker

    sift.configure(publish_logins=True, publish_logouts=True)
    with celery_app(broker_url=redis_url) as app:
        app.conf.task_default_queue = f"ciam-sift-test-{threading.get_ident()}"
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            client = Client()
            assert login(client, "alice", password).status_code == 302
            client.post("/accounts/logout/")
            events = sift.server.wait_for(2)
    assert [e["$type"] for e in events] == ["$login", "$logout"]
    assert set(SiftOutbox.objects.values_list("status", flat=True)) == {"sent"}
