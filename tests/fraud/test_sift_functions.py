"""The conditional-authentication functions against the fake Sift: return values, every error,
additional_params, loggingEnabled, the timeout bound, the circuit breaker, connection reuse."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

import pytest
from django.core.cache import cache
from django.test import RequestFactory

from fraud.sift import (
    AuthenticationContext,
    LoginStatus,
    get_sift_risk_score_for_login,
    get_sift_workflow_decision,
    publish_login_event_to_sift,
)
from fraud.sift.breaker import OPEN_KEY
from fraud.sift.models import SiftOutbox
from fraud.sift.tasks import deliver_due
from tests.fraud.sift_support import (  # noqa: F401
    celery_eager_fixture,
    sift_fixture,
    sift_server_fixture,
)

pytestmark = pytest.mark.django_db

IP = "203.0.113.9"
UA = "Mozilla/5.0 Test"
SESSION = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def context(user):
    request = RequestFactory().post("/accounts/login/", REMOTE_ADDR=IP, HTTP_USER_AGENT=UA)
    from django.contrib.sessions.backends.db import SessionStore

    request.session = SessionStore()
    return AuthenticationContext(
        request=request, user=user, ip=IP, session_id=SESSION, user_agent=UA, identifier="alice"
    )


@pytest.fixture
def on(sift):
    """Sift on with device metadata, so the defaults ($ip, $user_agent) are in the payload."""
    sift.configure(include_device=True)
    return sift


def last_query(sift):
    return sift.server.received[-1].query


# -- get_sift_risk_score_for_login ----------------------------------------------------------


def test_score_is_sifts_account_takeover_score(on, context):
    on.server.reply(score=0.83)
    assert get_sift_risk_score_for_login(context, LoginStatus.LOGIN_SUCCESS) == 0.83
    assert last_query(on) == {"return_score": "true", "abuse_types": "account_takeover"}
    event = on.events("$login")[0]
    assert event["$login_status"] == "$success"
    assert event["$ip"] == IP and event["$browser"] == {"$user_agent": UA}
    assert event["$session_id"] == SESSION


@pytest.mark.parametrize(
    ("status", "sift_value"),
    [
        (LoginStatus.LOGIN_FAILED, "$failure"),
        ("LOGIN_FAILED", "$failure"),
        ("LOGIN_SUCCESS", "$success"),
    ],
)
def test_login_status_takes_the_enum_or_its_string(on, context, status, sift_value):
    get_sift_risk_score_for_login(context, status)
    assert on.events("$login")[0]["$login_status"] == sift_value


def test_an_unknown_login_status_is_a_programming_error(on, context):
    with pytest.raises(ValueError):
        get_sift_risk_score_for_login(context, "SUCCESS")
    assert on.server.received == []


@pytest.mark.parametrize(
    "reply",
    [
        {"status": 51, "http_status": 400},  # invalid API key
        {"status": 60, "http_status": 429},  # rate limited
        {"status": -1, "http_status": 200},  # Sift-side error with HTTP 200
        {"status": 0, "http_status": 500},
        {"score_status": 55},  # top level OK, score_response not
        {"score": None},  # OK, but no account_takeover score
        {"drop": True},  # connection dropped
        {"raw": b"<html>gateway</html>"},
    ],
)
def test_every_error_gives_minus_one(on, context, reply):
    on.server.reply(**reply)
    assert get_sift_risk_score_for_login(context, LoginStatus.LOGIN_SUCCESS) == -1


def test_an_invalid_key_gives_minus_one(on, context):
    on.configure(api_key="wrong-key-000000000000")
    assert get_sift_risk_score_for_login(context, LoginStatus.LOGIN_SUCCESS) == -1


def test_no_key_gives_minus_one_and_calls_nobody(sift, context):
    sift.configure(api_key="")
    assert get_sift_risk_score_for_login(context, LoginStatus.LOGIN_SUCCESS) == -1
    assert get_sift_workflow_decision(context, LoginStatus.LOGIN_SUCCESS) is None
    assert publish_login_event_to_sift(context, LoginStatus.LOGIN_SUCCESS) is False
    assert sift.server.received == []
    assert SiftOutbox.objects.count() == 0


def test_a_network_failure_gives_minus_one(sift, context, settings):
    from tests.fraud.sift_support import closed_port

    sift.configure()
    settings.CIAM_SIFT_API_URL = f"http://127.0.0.1:{closed_port()}"
    assert get_sift_risk_score_for_login(context, LoginStatus.LOGIN_SUCCESS) == -1


def test_a_slow_sift_never_holds_the_call_longer_than_the_timeouts(on, context):
    on.configure(connect_timeout=0.2, read_timeout=0.5)
    on.server.reply(delay=5.0)
    started = time.monotonic()
    assert get_sift_risk_score_for_login(context, LoginStatus.LOGIN_SUCCESS) == -1
    elapsed = time.monotonic() - started
    # The bound is the configured connect + read timeout; the margin is for a busy machine.
    assert elapsed < 0.2 + 0.5 + 1.5, elapsed


# -- get_sift_workflow_decision --------------------------------------------------------------


def test_decision_of_the_account_takeover_session_workflow(on, context):
    on.server.reply(decision="session_looks_bad_account_takeover")
    decision = get_sift_workflow_decision(context, LoginStatus.LOGIN_SUCCESS)
    # The fake also runs a payment-abuse workflow on an order, with its own decision.
    assert decision == "session_looks_bad_account_takeover"
    assert last_query(on) == {
        "return_workflow_status": "true",
        "abuse_types": "account_takeover",
    }


def test_no_decision_is_none(on, context):
    on.server.reply(decision=None)
    assert get_sift_workflow_decision(context, LoginStatus.LOGIN_SUCCESS) is None


@pytest.mark.parametrize(
    "reply", [{"status": 51, "http_status": 400}, {"http_status": 500}, {"score_status": -3}]
)
def test_errors_give_no_decision(on, context, reply):
    on.server.reply(decision="mfa_account_takeover", **reply)
    assert get_sift_workflow_decision(context, LoginStatus.LOGIN_SUCCESS) is None


def session_workflow(**fields) -> dict:
    """The account-takeover workflow on the session, with ``fields`` replaced."""
    return {
        "id": "wf-session",
        "abuse_types": ["account_takeover"],
        "entity": {"type": "session", "id": SESSION},
        "history": [{"app": "decision", "config": {"decision_id": "mfa_account_takeover"}}],
        **fields,
    }


MALFORMED_ANSWERS = {
    "entity is a list": {"workflow_statuses": [session_workflow(entity=["session"])]},
    "abuse_types is a number": {"workflow_statuses": [session_workflow(abuse_types=5)]},
    "config is a list": {
        "workflow_statuses": [session_workflow(history=[{"app": "decision", "config": ["x"]}])]
    },
    "history is a number": {"workflow_statuses": [session_workflow(history=5)]},
    "a history entry is a string": {"workflow_statuses": [session_workflow(history=["x"])]},
    "workflow_statuses is a number": {"workflow_statuses": 5},
    "a workflow is a list": {"workflow_statuses": [["account_takeover"]]},
}


@pytest.mark.parametrize("fields", MALFORMED_ANSWERS.values(), ids=MALFORMED_ANSWERS)
def test_a_malformed_workflow_answer_gives_none(on, context, fields, caplog):
    on.server.reply(score_response_fields=fields)
    with caplog.at_level(logging.WARNING, logger="ciam.fraud.sift"):
        assert get_sift_workflow_decision(context, LoginStatus.LOGIN_SUCCESS) is None
    assert "Sift $login call failed: malformed answer" in caplog.text


@pytest.mark.parametrize("scores", [[0.9], {"account_takeover": [0.9]}, "0.9"])
def test_a_malformed_score_gives_minus_one(on, context, scores):
    on.server.reply(score_response_fields={"scores": scores})
    assert get_sift_risk_score_for_login(context, LoginStatus.LOGIN_SUCCESS) == -1


def test_the_malformed_answers_are_what_a_plain_answer_is_not(on, context):
    # The same workflow, well formed, does give its decision: the cases above are the shape.
    on.server.reply(score_response_fields={"workflow_statuses": [session_workflow()]})
    assert get_sift_workflow_decision(context, LoginStatus.LOGIN_SUCCESS) == (
        "mfa_account_takeover"
    )


# -- additional_params -------------------------------------------------------------------------


def test_additional_params_override_the_defaults(on, context):
    get_sift_risk_score_for_login(
        context,
        LoginStatus.LOGIN_SUCCESS,
        {"$user_id": "custom-id", "$ip": "198.51.100.7", "$user_agent": "Other/2", "tier": "gold"},
    )
    event = on.events("$login")[0]
    assert event["$user_id"] == "custom-id"
    assert event["$ip"] == "198.51.100.7"
    assert event["$browser"] == {"$user_agent": "Other/2"}
    assert event["tier"] == "gold"


def test_an_empty_string_removes_ip_user_agent_and_session(on, context):
    get_sift_risk_score_for_login(
        context, LoginStatus.LOGIN_SUCCESS, {"$ip": "", "$user_agent": "", "$session_id": ""}
    )
    event = on.events("$login")[0]
    assert "$ip" not in event and "$browser" not in event and "$session_id" not in event


NOT_JSON = {
    "a datetime": {"when": datetime(2026, 1, 1, tzinfo=UTC)},
    "an object": {"account": object()},
    "a set": {"tags": {"a", "b"}},
    "not a number": {"ratio": float("nan")},
    "a non-string key": {"extra": {1.5j: "x"}},
}


@pytest.mark.parametrize("params", NOT_JSON.values(), ids=NOT_JSON)
def test_additional_params_that_are_not_json_give_minus_one_none_and_false(
    on, context, params, caplog
):
    with caplog.at_level(logging.WARNING, logger="ciam.fraud.sift"):
        assert get_sift_risk_score_for_login(context, LoginStatus.LOGIN_SUCCESS, params) == -1
        assert get_sift_workflow_decision(context, LoginStatus.LOGIN_SUCCESS, params) is None
        assert publish_login_event_to_sift(context, LoginStatus.LOGIN_SUCCESS, params) is False
    assert "cannot be sent as JSON" in caplog.text
    # Nothing half-sent, nothing queued that could never be delivered.
    assert on.server.received == []
    assert SiftOutbox.objects.count() == 0
    assert "sift.login_sent" not in context.signals


def test_additional_params_that_are_not_a_mapping_give_minus_one(on, context, caplog):
    with caplog.at_level(logging.ERROR, logger="ciam.fraud.sift"):
        assert get_sift_risk_score_for_login(context, "LOGIN_SUCCESS", ["$ip", "x"]) == -1
        assert publish_login_event_to_sift(context, "LOGIN_SUCCESS", ["$ip", "x"]) is False
    assert "Traceback" in caplog.text  # unexpected: logged with its stack for the developer
    assert on.server.received == []


def test_logging_enabled_is_not_sent_and_logs_the_masked_payload_and_score(on, context, caplog):
    on.server.reply(score=0.42)
    with caplog.at_level(logging.INFO, logger="ciam.fraud.sift"):
        score = get_sift_risk_score_for_login(
            context, LoginStatus.LOGIN_SUCCESS, {"loggingEnabled": True}
        )
    assert score == 0.42
    assert "loggingEnabled" not in on.events("$login")[0]
    assert "203.0.*.*" in caplog.text and "score=0.42" in caplog.text
    assert IP not in caplog.text and on.server.api_key not in caplog.text


def test_logging_enabled_logs_the_decision(on, context, caplog):
    on.server.reply(decision="mfa_account_takeover")
    with caplog.at_level(logging.INFO, logger="ciam.fraud.sift"):
        get_sift_workflow_decision(context, "LOGIN_SUCCESS", {"loggingEnabled": True})
    assert "decision=mfa_account_takeover" in caplog.text


def test_without_logging_enabled_nothing_is_logged_on_success(on, context, caplog):
    with caplog.at_level(logging.INFO, logger="ciam.fraud.sift"):
        get_sift_risk_score_for_login(context, LoginStatus.LOGIN_SUCCESS)
    assert caplog.text == ""


# -- publish_login_event_to_sift -----------------------------------------------------------


def test_publish_queues_the_event_without_waiting_for_an_answer(
    on, context, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert publish_login_event_to_sift(context, LoginStatus.LOGIN_FAILED, {"$ip": ""}) is True
    (received,) = on.server.received
    assert received.query == {}
    assert received.body["$login_status"] == "$failure"
    assert "$ip" not in received.body
    assert SiftOutbox.objects.get().status == SiftOutbox.Status.SENT


# -- the record of synchronous calls -------------------------------------------------------


def test_a_synchronous_call_is_recorded_as_sent(on, context):
    get_sift_risk_score_for_login(context, LoginStatus.LOGIN_SUCCESS)
    row = SiftOutbox.objects.get()
    assert (row.status, row.synchronous, row.event_type) == ("sent", True, "$login")
    assert "$api_key" not in row.payload


def test_a_call_that_failed_for_now_is_delivered_later(on, context):
    on.server.then(http_status=503)
    assert get_sift_risk_score_for_login(context, LoginStatus.LOGIN_SUCCESS) == -1
    row = SiftOutbox.objects.get()
    assert row.status == SiftOutbox.Status.PENDING
    assert deliver_due() == 1
    row.refresh_from_db()
    assert row.status == SiftOutbox.Status.SENT
    first, second = on.events("$login")
    assert first["$time"] == second["$time"]  # the same event, not a new one


def test_a_call_refused_for_good_is_recorded_failed(on, context):
    on.server.then(status=51, http_status=400)
    get_sift_risk_score_for_login(context, LoginStatus.LOGIN_SUCCESS)
    row = SiftOutbox.objects.get()
    assert row.status == SiftOutbox.Status.FAILED
    assert "51" in row.last_error


# -- circuit breaker -----------------------------------------------------------------------


@pytest.fixture
def breaker(settings):
    settings.CIAM_SIFT_BREAKER_FAILURES = 3
    settings.CIAM_SIFT_BREAKER_COOLDOWN_SECONDS = 30


def test_the_breaker_opens_after_repeated_failures_and_says_so(on, context, breaker, caplog):
    on.server.reply(http_status=500)
    with caplog.at_level(logging.WARNING, logger="ciam.fraud.sift"):
        for _ in range(3):
            assert get_sift_risk_score_for_login(context, LoginStatus.LOGIN_SUCCESS) == -1
        assert len(on.server.received) == 3
        assert "circuit breaker opened" in caplog.text
        # Open: answered at once, Sift is not called.
        assert get_sift_risk_score_for_login(context, LoginStatus.LOGIN_SUCCESS) == -1
        assert get_sift_workflow_decision(context, LoginStatus.LOGIN_SUCCESS) is None
    assert len(on.server.received) == 3
    assert "circuit breaker is open" in caplog.text
    # Nothing is lost: the events not sent wait in the outbox.
    assert SiftOutbox.objects.filter(status="pending").count() == 5


def test_after_the_cooldown_one_failure_reopens_and_one_success_closes(on, context, breaker):
    on.server.reply(http_status=500)
    for _ in range(3):
        get_sift_risk_score_for_login(context, LoginStatus.LOGIN_SUCCESS)
    cache.set(OPEN_KEY, time.time() - 1)  # the cool-down is over
    get_sift_risk_score_for_login(context, LoginStatus.LOGIN_SUCCESS)
    assert len(on.server.received) == 4
    get_sift_risk_score_for_login(context, LoginStatus.LOGIN_SUCCESS)
    assert len(on.server.received) == 4  # open again after that single failure

    cache.set(OPEN_KEY, time.time() - 1)
    on.server.reply(score=0.2)
    assert get_sift_risk_score_for_login(context, LoginStatus.LOGIN_SUCCESS) == 0.2
    on.server.reply(http_status=500)
    for _ in range(2):
        get_sift_risk_score_for_login(context, LoginStatus.LOGIN_SUCCESS)
    assert len(on.server.received) == 7  # closed: two failures are not enough to open


def test_permanent_errors_do_not_open_the_breaker(on, context, breaker):
    on.server.reply(status=51, http_status=400)
    for _ in range(5):
        get_sift_risk_score_for_login(context, LoginStatus.LOGIN_SUCCESS)
    assert len(on.server.received) == 5


def test_the_breaker_fails_open_when_the_cache_is_down(on, context, breaker, monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    for method in ("get_many", "add", "incr", "set", "delete"):
        monkeypatch.setattr(cache, method, down)
    on.server.reply(http_status=500)
    for _ in range(5):
        assert get_sift_risk_score_for_login(context, LoginStatus.LOGIN_SUCCESS) == -1
    assert len(on.server.received) == 5


# -- connection reuse ------------------------------------------------------------------------


def test_calls_reuse_one_connection(on, context):
    for _ in range(5):
        get_sift_risk_score_for_login(context, LoginStatus.LOGIN_SUCCESS)
    assert len(on.server.received) == 5
    assert on.server.connections == 1
