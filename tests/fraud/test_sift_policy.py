"""The Sift policies through real sign-ins: the fake Sift's answer decides between the deny
page, a step-up and a session; the policy's call is the sign-in's only $login event."""

from __future__ import annotations

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from ciam import signals
from ciam.models import LoginSettings
from fraud.sift.models import SiftOutbox, SiftSettings
from tests.fraud.sift_support import (  # noqa: F401
    celery_eager_fixture,
    login,
    sift_fixture,
    sift_server_fixture,
    totp_code,
)

pytestmark = pytest.mark.django_db(transaction=True)

STEP_UP = "/accounts/step-up/"


@pytest.fixture
def totp(user):
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def score_policy(sift):
    sift.configure(policy=SiftSettings.Policy.RISK_SCORE, publish_logins=True)
    return sift


@pytest.fixture
def workflow_policy(sift):
    sift.configure(policy=SiftSettings.Policy.WORKFLOW, publish_logins=True)
    return sift


def test_a_high_score_shows_the_deny_page(score_policy, client, user, password):
    score_policy.server.reply(score=0.8)
    response = login(client, "alice", password)
    assert response.status_code == 403
    body = response.content.decode()
    assert "Login Restricted" in body
    assert "Your login attempt was identified as suspicious." in body
    assert not signed_in(client)


def test_a_medium_score_asks_for_a_second_factor(score_policy, client, user, password, totp):
    score_policy.server.reply(score=0.6)
    response = login(client, "alice", password)
    assert response["Location"] == STEP_UP
    assert not signed_in(client)
    client.post(STEP_UP, {"token": totp_code(totp)})
    assert signed_in(client)
    # The policy's call was this sign-in's $login: no second one after the step-up.
    (event,) = score_policy.events("$login")
    assert score_policy.server.received[0].query["return_score"] == "true"
    assert event["$login_status"] == "$success"


def test_a_low_score_signs_in_and_login_is_published_once(score_policy, client, user, password):
    score_policy.server.reply(score=0.2)
    assert login(client, "alice", password).status_code == 302
    assert signed_in(client)
    assert len(score_policy.events("$login")) == 1
    assert SiftOutbox.objects.get().synchronous is True


def test_thresholds_and_messages_come_from_the_admin(score_policy, client, user, password):
    score_policy.configure(
        policy=SiftSettings.Policy.RISK_SCORE,
        deny_threshold=0.3,
        step_up_threshold=0.1,
        deny_title="Not now",
        deny_message="Try again from a device you used before.",
    )
    score_policy.server.reply(score=0.35)
    response = login(client, "alice", password)
    assert response.status_code == 403
    assert "Not now" in response.content.decode()
    assert "Try again from a device you used before." in response.content.decode()


def test_by_default_the_deny_page_has_the_login_settings_texts(
    score_policy, client, user, password
):
    LoginSettings.objects.update_or_create(
        pk=1, defaults={"deny_title": "Blocked", "deny_message": "Call the help desk."}
    )
    LoginSettings.clear_cache()
    score_policy.server.reply(score=0.8)
    response = login(client, "alice", password)
    assert response.status_code == 403
    body = response.content.decode()
    assert "Blocked" in body and "Call the help desk." in body
    assert "Login Restricted" not in body


def test_the_sift_texts_were_blank_unless_an_admin_changed_them():
    from importlib import import_module

    from django.apps import apps

    migration = import_module("fraud.migrations.0005_sift_deny_texts_blank")
    SiftSettings.objects.create(pk=1, deny_title="Login Restricted", deny_message="Not from there.")
    migration.blank_the_old_defaults(apps, None)
    row = SiftSettings.objects.get()
    assert (row.deny_title, row.deny_message) == ("", "Not from there.")


@pytest.mark.parametrize(
    ("answer", "outcome"),
    [
        (SiftSettings.Answer.ALLOW, "signed in"),
        (SiftSettings.Answer.STEP_UP, "step up"),
        (SiftSettings.Answer.DENY, "denied"),
    ],
)
def test_when_sift_cannot_answer_the_admin_decides(
    score_policy, client, user, password, totp, answer, outcome
):
    score_policy.configure(policy=SiftSettings.Policy.RISK_SCORE, on_error=answer)
    score_policy.server.reply(http_status=500)
    response = login(client, "alice", password)
    seen = {302: "signed in" if signed_in(client) else "step up", 403: "denied"}[
        response.status_code
    ]
    assert seen == outcome
    if outcome == "step up":
        assert response["Location"] == STEP_UP


@pytest.mark.parametrize(
    ("answer", "outcome"),
    [
        (SiftSettings.Answer.ALLOW, "signed in"),
        (SiftSettings.Answer.STEP_UP, "step up"),
        (SiftSettings.Answer.DENY, "denied"),
    ],
)
def test_a_malformed_sift_answer_is_an_error_the_admin_decides(
    workflow_policy, client, user, password, totp, answer, outcome
):
    workflow_policy.configure(policy=SiftSettings.Policy.WORKFLOW, on_error=answer)
    malformed = {"workflow_statuses": [{"abuse_types": ["account_takeover"], "entity": ["x"]}]}
    workflow_policy.server.reply(score_response_fields=malformed)
    response = login(client, "alice", password)
    seen = {302: "signed in" if signed_in(client) else "step up", 403: "denied"}[
        response.status_code
    ]
    assert seen == outcome


def test_monitor_mode_records_but_lets_the_sign_in_through(
    score_policy, client, user, password, connect_receiver
):
    seen = []
    connect_receiver(
        signals.risk_check_completed,
        lambda sender, context, verdict, verdicts, **kw: seen.extend(verdicts),
    )
    score_policy.configure(policy=SiftSettings.Policy.RISK_SCORE, policy_monitor=True)
    score_policy.server.reply(score=0.95)
    assert login(client, "alice", password).status_code == 302
    assert signed_in(client)
    (verdict,) = [v for v in seen if v.source == "sift"]
    assert verdict.monitor and verdict.action.name == "DENY" and verdict.score == 0.95


@pytest.mark.parametrize(
    ("decision", "outcome"),
    [
        ("session_looks_bad_account_takeover", "denied"),
        ("mfa_account_takeover", "step up"),
        ("looks_ok_account_takeover", "signed in"),
        (None, "signed in"),
    ],
)
def test_workflow_decisions_are_mapped(
    workflow_policy, client, user, password, totp, decision, outcome
):
    workflow_policy.server.reply(decision=decision)
    response = login(client, "alice", password)
    seen = {302: "signed in" if signed_in(client) else "step up", 403: "denied"}[
        response.status_code
    ]
    assert seen == outcome
    assert workflow_policy.server.received[0].query["return_workflow_status"] == "true"


def test_the_decision_lists_are_admin_settings(workflow_policy, client, user, password):
    workflow_policy.configure(
        policy=SiftSettings.Policy.WORKFLOW,
        deny_decision_ids="block_everyone\nsession_looks_bad_account_takeover",
        step_up_decision_ids="",
    )
    workflow_policy.server.reply(decision="block_everyone")
    assert login(client, "alice", password).status_code == 403


def test_a_failed_login_still_publishes_its_failure(score_policy, client, user):
    response = login(client, "alice", "not the password")
    assert response.status_code == 400
    (event,) = score_policy.events("$login")
    assert event["$login_status"] == "$failure"
    assert score_policy.server.received[0].query == {}  # published, no answer asked


def test_without_a_policy_the_success_is_published_after_the_session_exists(
    sift, client, user, password
):
    sift.configure(publish_logins=True)
    assert login(client, "alice", password).status_code == 302
    (received,) = sift.server.received
    assert received.query == {}
    assert SiftOutbox.objects.get().synchronous is False


def test_an_abandoned_step_up_does_not_swallow_the_next_login_event(
    score_policy, user, password, totp
):
    score_policy.server.reply(score=0.6)
    client = Client()
    assert login(client, "alice", password)["Location"] == STEP_UP
    client.post("/accounts/step-up/cancel/")  # gives up on this sign-in
    score_policy.configure(policy=SiftSettings.Policy.OFF, publish_logins=True)
    assert login(client, "alice", password).status_code == 302
    statuses = [e["$login_status"] for e in score_policy.events("$login")]
    assert statuses == ["$success", "$success"]
