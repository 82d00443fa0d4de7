"""The Sift client against the fake Sift, and the fake itself: it must refuse what Sift refuses,
or the other tests prove nothing."""

from __future__ import annotations

import time

import pytest

from fraud.sift.client import Outcome, SiftClient
from tests.fakes.sift_server import FakeSift

TIMEOUT = (1.0, 2.0)


@pytest.fixture
def fake():
    with FakeSift() as server:
        yield server


def client_for(fake, key=None) -> SiftClient:
    return SiftClient(key or fake.api_key, TIMEOUT, base_url=fake.url)


def good_login(**changes) -> dict:
    event = {
        "$type": "$login",
        "$user_id": "a" * 64,
        "$login_status": "$success",
        "$time": int(time.time() * 1000),
    }
    event.update(changes)
    return {k: v for k, v in event.items() if v is not None}


def test_the_key_travels_in_the_body_not_in_a_header(fake):
    assert client_for(fake).send_event(good_login()).ok
    (received,) = fake.received
    assert received.body["$api_key"] == fake.api_key
    assert "Authorization" not in received.headers
    assert fake.violations == []


@pytest.mark.parametrize(
    ("changes", "complaint"),
    [
        ({"$login_status": "success"}, "is not one of"),  # enum without $
        ({"$login_status": None, "login_status": "$success"}, "required field $login_status"),
        ({"$name": "Alice"}, "not a reserved field of this event"),
        ({"$failure_reason": "$bad_luck"}, "is not one of"),
        ({"$time": int(time.time())}, "not milliseconds"),  # seconds
        ({"$user_id": "alice smith"}, "characters Sift does not allow"),
        ({"$verification_phone_number": "415-555-0123"}, "not E.164"),
        ({"$browser": {"user_agent": "x"}}, "unknown fields"),
        ({"$type": "$sign_in"}, "unknown $type"),
    ],
)
def test_the_fake_refuses_what_breaks_the_contract(fake, changes, complaint):
    response = client_for(fake).send_event(good_login(**changes))
    assert response.outcome is Outcome.PERMANENT
    assert any(complaint in v for v in fake.violations), fake.violations


@pytest.mark.parametrize(
    ("reply", "outcome"),
    [
        ({}, Outcome.OK),
        ({"status": 51, "http_status": 400}, Outcome.PERMANENT),
        ({"status": 105, "http_status": 400}, Outcome.PERMANENT),
        ({"status": 112, "http_status": 200}, Outcome.PERMANENT),
        ({"status": -4, "http_status": 200}, Outcome.RETRYABLE),
        ({"status": 60, "http_status": 429}, Outcome.RETRYABLE),
        ({"http_status": 502}, Outcome.RETRYABLE),
        ({"drop": True}, Outcome.RETRYABLE),
        ({"raw": b"not json"}, Outcome.RETRYABLE),
    ],
)
def test_answers_are_classified(fake, reply, outcome):
    fake.reply(**reply)
    assert client_for(fake).send_event(good_login()).outcome is outcome


def test_errors_never_contain_the_key(fake):
    fake.reply(status=51, http_status=400, error_message=f"bad key {fake.api_key}")
    response = client_for(fake).send_event(good_login())
    assert response.outcome is Outcome.PERMANENT
    assert "bad key" in response.error and fake.api_key not in response.error
    client = SiftClient("k3y-that-leaks", TIMEOUT, base_url="http://127.0.0.1:1")
    failure = client.send_event(good_login())
    assert failure.network_failure and "k3y-that-leaks" not in failure.error


def test_a_read_timeout_is_retryable_and_bounded(fake):
    fake.reply(delay=3.0)
    client = SiftClient(fake.api_key, (0.2, 0.3), base_url=fake.url)
    started = time.monotonic()
    response = client.send_event(good_login())
    assert response.retryable and response.network_failure
    assert time.monotonic() - started < 0.5 + 1.5
