"""Pending challenges: single use, bound to the session and the ceremony, expiring with the
administrator's timeout, single use even when two requests race (PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from passkeys import challenges
from passkeys.models import Challenge, PasskeySettings
from passkeys.tasks import purge_expired_challenges


def request_with_session(session_key=None):
    request = RequestFactory().post("/")
    request.session = SessionStore(session_key)
    return request


@pytest.fixture
def request_(db):
    request = request_with_session()
    request.session.save()
    return request


def test_single_use(request_):
    challenge = challenges.issue(request_, "login")
    assert challenges.consume(request_, "login", challenge).challenge == challenge
    assert challenges.consume(request_, "login", challenge) is None


def test_bound_to_the_ceremony(request_):
    challenge = challenges.issue(request_, "register")
    assert challenges.consume(request_, "login", challenge) is None
    assert challenges.consume(request_, "register", challenge) is not None


def test_bound_to_the_session(request_):
    challenge = challenges.issue(request_, "login")
    other = request_with_session()
    assert challenges.consume(other, "login", challenge) is None
    assert challenges.consume(request_, "login", challenge) is not None


def test_expires_after_the_admin_timeout(request_):
    config = PasskeySettings.load()
    config.challenge_timeout = 60
    config.save()
    before = timezone.now()
    challenge = challenges.issue(request_, "login")
    row = Challenge.objects.get()
    assert timedelta(seconds=59) < row.expires_at - before <= timedelta(seconds=61)
    Challenge.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert challenges.consume(request_, "login", challenge) is None
    assert not Challenge.objects.exists()  # used up even though it was refused


def test_a_session_keeps_its_newest_challenges_only(request_):
    old = challenges.issue(request_, "login")
    for _ in range(challenges.MAX_PENDING_PER_SESSION + 5):
        challenges.issue(request_, "login")
    assert Challenge.objects.count() == challenges.MAX_PENDING_PER_SESSION
    assert challenges.consume(request_, "login", old) is None


def test_issuing_leaves_other_sessions_expired_rows_to_the_periodic_purge(request_):
    # A login page load writes its one row; the sweep of everyone's expired rows is not its job.
    other = request_with_session()
    challenges.issue(other, "login")
    Challenge.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    with CaptureQueriesContext(connection) as queries:
        challenges.issue(request_, "login")
    assert Challenge.objects.count() == 2
    assert not [q for q in queries if q["sql"].startswith("DELETE")]


def test_the_periodic_task_deletes_expired_challenges_only(request_):
    for _ in range(3):
        challenges.issue(request_with_session(), "login")
    Challenge.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    live = challenges.issue(request_, "login")

    assert purge_expired_challenges.apply().get() == 3  # run here, as a worker would

    assert Challenge.objects.count() == 1
    assert challenges.consume(request_, "login", live) is not None


def test_timeout_is_validated():
    from django.core.exceptions import ValidationError

    config = PasskeySettings(challenge_timeout=5)
    with pytest.raises(ValidationError):
        config.full_clean()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_single_use_when_two_requests_race(require_postgres):
    request = request_with_session()
    challenge = challenges.issue(request, "login")
    request.session.save()  # with the session id the challenge is bound to
    barrier = threading.Barrier(4)
    results = []

    def answer():
        try:
            barrier.wait()
            twin = request_with_session(request.session.session_key)
            results.append(challenges.consume(twin, "login", challenge))
        finally:
            connection.close()

    threads = [threading.Thread(target=answer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(result is not None for result in results) == 1
