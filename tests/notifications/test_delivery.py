"""How email leaves: after commit, through Celery. A broker outage delays and loses nothing, SMTP
errors come back with backoff, a task delivered twice sends once, and a real worker on a real
Redis broker sends the email end to end."""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.utils import timezone

from notifications import delivery
from notifications.models import Kind, Notification
from notifications.tasks import send_due_notifications, send_notification
from tests.fraud.sift_support import celery_app, closed_port, dead_broker_fixture  # noqa: F401
from tests.notifications.conftest import AWAY, emails, rows

Status = Notification.Status


@pytest.fixture
def new_device_sign_in(user, sign_in, known_device):
    """Alice signs in from a new device: the trigger of one email."""

    def go():
        assert sign_in(Client(), AWAY).status_code == 302
        return rows(Kind.SUSPICIOUS_SIGN_IN).get()

    known_device()
    return go


@pytest.fixture
def smtp_down(settings):
    """The SMTP backend pointed at a port nobody listens on: the connection is refused."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = closed_port()
    settings.EMAIL_TIMEOUT = 2


def make_due(row: Notification) -> None:
    Notification.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())


# --- Broker outage ----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_broker_outage_at_enqueue_time_delays_then_delivers(
    new_device_sign_in, dead_broker, caplog, mailoutbox
):
    with caplog.at_level(logging.WARNING, logger="ciam.notifications"):
        row = new_device_sign_in()  # the sign-in is not hurt
    assert row.status == Status.PENDING and mailoutbox == []
    assert "the periodic task will send it" in caplog.text

    assert send_due_notifications() == 1  # what celery beat runs every minute
    (email,) = emails(mailoutbox)
    assert email.subject == "New sign-in to your example.com account"
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.SENT, 1)


# --- Idempotency ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_task_delivered_twice_sends_one_email(new_device_sign_in, dead_broker, mailoutbox):
    row = new_device_sign_in()
    for _ in range(2):
        send_notification.apply(args=(row.pk,))  # the same message handed to a worker twice
    assert len(mailoutbox) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.SENT, 1)


@pytest.mark.django_db(transaction=True)
def test_one_event_makes_one_row(new_device_sign_in, mailoutbox):
    from notifications.outbox import create

    row = new_device_sign_in()
    again = create(
        kind=row.kind, user=row.user, recipient=row.recipient, idempotency_key=row.idempotency_key
    )
    assert again is None and Notification.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_row_left_sending_by_a_dead_worker_is_sent_after_its_lease(
    new_device_sign_in, dead_broker, settings, mailoutbox
):
    row = new_device_sign_in()
    claimed = timezone.now()
    Notification.objects.filter(pk=row.pk).update(status=Status.SENDING, claimed_at=claimed)
    assert send_due_notifications() == 0  # its worker may still be sending it
    Notification.objects.filter(pk=row.pk).update(claimed_at=claimed - timedelta(seconds=301))
    assert send_due_notifications() == 1
    assert len(mailoutbox) == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_two_workers_racing_for_a_row_send_it_once(
    new_device_sign_in, dead_broker, require_postgres, mailoutbox
):
    row = new_device_sign_in()
    barrier = threading.Barrier(2)
    results = []

    def worker():
        try:
            barrier.wait()
            results.append(delivery.deliver(row.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r is not None for r in results) == [False, True]
    assert len(mail.outbox) == 1


# --- SMTP errors ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_an_smtp_outage_is_retried_later_then_sent(
    new_device_sign_in, smtp_down, settings, mailoutbox
):
    row = new_device_sign_in()
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.PENDING, 1)
    assert "ConnectionRefusedError" in row.last_error
    wait = (row.next_attempt_at - timezone.now()).total_seconds()
    assert 25 <= wait <= 60  # first delay: 60 s with equal jitter

    assert send_due_notifications() == 0  # not due yet
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # SMTP is back
    make_due(row)
    assert send_due_notifications() == 1
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (Status.SENT, 2, "")
    assert len(mailoutbox) == 1


@pytest.mark.django_db(transaction=True)
def test_an_email_that_keeps_failing_is_given_up_with_the_reason(
    new_device_sign_in, smtp_down, settings
):
    settings.CIAM_NOTIFICATIONS_MAX_ATTEMPTS = 3
    row = new_device_sign_in()
    for _ in range(2):
        make_due(row)
        send_due_notifications()
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.FAILED, 3)
    assert row.last_error.startswith("gave up after 3 attempts: ConnectionRefusedError")
    make_due(row)
    assert delivery.deliver(row.pk) is None  # never tried again


@pytest.mark.django_db(transaction=True)
def test_a_mail_server_that_never_answers_times_out_and_is_retried(
    new_device_sign_in, settings, mailoutbox
):
    import socket

    silent = socket.socket()  # accepts connections (the kernel does) and never says a word
    silent.bind(("127.0.0.1", 0))
    silent.listen(5)
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = silent.getsockname()
        settings.EMAIL_TIMEOUT = None  # Django's default: no timeout at all
        settings.CIAM_NOTIFICATIONS_SMTP_TIMEOUT = 0.5
        row = new_device_sign_in()
    finally:
        silent.close()
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.PENDING, 1)
    assert "timed out" in row.last_error


def test_backoff_doubles_with_jitter_and_is_capped(settings):
    settings.CIAM_NOTIFICATIONS_RETRY_BASE_SECONDS = 10
    settings.CIAM_NOTIFICATIONS_RETRY_MAX_SECONDS = 100
    for attempts, full in [(1, 10), (2, 20), (3, 40), (4, 80), (5, 100), (12, 100)]:
        delays = [delivery.retry_delay(attempts) for _ in range(50)]
        assert all(full / 2 <= d <= full for d in delays), (attempts, delays)


@pytest.mark.django_db(transaction=True)
def test_an_email_that_cannot_be_rendered_fails_at_once(
    new_device_sign_in, dead_broker, settings, tmp_path, mailoutbox
):
    # A site's own template (it overrides the package's, like allauth's) with an error in it.
    broken = tmp_path / "notifications" / "email"
    broken.mkdir(parents=True)
    (broken / "suspicious_sign_in_subject.txt").write_text("{% if %}")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]
    row = new_device_sign_in()
    send_due_notifications()
    row.refresh_from_db()
    assert row.status == Status.FAILED and "cannot be rendered" in row.last_error
    assert mailoutbox == []


# --- A real worker on a real broker -----------------------------------------------------------


@pytest.fixture
def worker_app(redis_url):
    """A Celery app on the real broker, with its own queue, for ``start_worker``; Celery's
    default app (which start_worker replaces) is restored afterwards."""
    from celery import _state

    saved = _state.default_app
    with celery_app(broker_url=redis_url) as app:
        app.conf.task_default_queue = f"ciam-notifications-test-{threading.get_ident()}"
        yield app
    _state.set_default_app(saved)


def wait_for(condition, seconds: float = 15.0):
    """Poll until ``condition()`` is true (a worker in another thread is doing the work)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("the worker did not get there in time")


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_celery_worker_on_redis_sends_the_email_and_a_duplicate_sends_nothing(
    new_device_sign_in, worker_app, make_user, sign_in
):
    from celery.contrib.testing.worker import start_worker

    with start_worker(worker_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        row = new_device_sign_in()
        wait_for(lambda: len(mail.outbox) == 1)
        (email,) = emails(mail.outbox)
        assert email.subject == "New sign-in to your example.com account"
        assert email.link("/notifications/not-me/")

        # The same task delivered twice more (a redelivery after a lost ack): then a marker
        # email behind them in the queue, so they were handled when it arrives.
        for _ in range(2):
            send_notification.apply_async((row.pk,))
        make_user("bob", "bob@example.com")
        assert sign_in(Client(), identifier="bob").status_code == 302
        assert sign_in(Client(), AWAY, identifier="bob").status_code == 302
        wait_for(lambda: len(mail.outbox) == 2)
    assert [m.to for m in mail.outbox] == [["alice@example.com"], ["bob@example.com"]]
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.SENT, 1)


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_celery_worker_retries_smtp_errors_with_backoff(
    new_device_sign_in, worker_app, smtp_down, settings
):
    from celery.contrib.testing.worker import start_worker

    settings.CIAM_NOTIFICATIONS_RETRY_BASE_SECONDS = 0.2
    settings.CIAM_NOTIFICATIONS_MAX_ATTEMPTS = 3
    with start_worker(worker_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        row = new_device_sign_in()
        wait_for(lambda: Notification.objects.get(pk=row.pk).status == Status.FAILED)
    row.refresh_from_db()
    assert row.attempts == 3  # the first try and two retries the task scheduled itself
    assert row.last_error.startswith("gave up after 3 attempts")
