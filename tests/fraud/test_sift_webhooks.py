"""Sift decision webhooks: signatures (sha1, sha256) over the raw body, clear 4xx answers, the
decision recorded against the user, and the administrator's action applied."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from fraud.sift.models import SiftDecision, SiftSettings
from tests.fraud.sift_support import (  # noqa: F401
    celery_eager_fixture,
    login,
    sift_fixture,
    sift_server_fixture,
)

pytestmark = pytest.mark.django_db(transaction=True)

WEBHOOK_KEY = "whsec-test-0123456789"
URL = "/fraud/sift/webhook/"


def sign(body: bytes, algorithm: str = "sha1", key: str = WEBHOOK_KEY) -> str:
    digest = hmac.new(key.encode(), body, getattr(hashlib, algorithm)).hexdigest()
    return f"{algorithm}={digest}"


def post(body: bytes, signature: str | None = None, client: Client | None = None):
    client = client or Client(enforce_csrf_checks=True)
    headers = {} if signature is None else {"HTTP_X_SIFT_SCIENCE_SIGNATURE": signature}
    return client.post(URL, data=body, content_type="application/json", **headers)


def decision_body(entity_id: str, decision_id: str, entity_type: str = "user") -> bytes:
    # Compact separators, not json.dumps's default: the signature is over these exact bytes.
    data = {
        "entity": {"type": entity_type, "id": entity_id},
        "decision": {"id": decision_id},
        "time": 1461963439151,
    }
    return json.dumps(data, separators=(",", ":")).encode()


@pytest.fixture
def configured(sift, user, password):
    """Webhooks on; alice signed in (her $login tells the site her Sift user id)."""
    sift.configure(
        webhook_key=WEBHOOK_KEY,
        publish_logins=True,
        sign_out_decision_ids="looks_bad_sign_out",
        lock_decision_ids="looks_bad_lock",
        password_reset_decision_ids="looks_bad_reset",
    )
    browser = Client()
    assert login(browser, "alice", password).status_code == 302
    event = sift.events("$login")[0]
    return {"browser": browser, "user_id": event["$user_id"], "session_id": event["$session_id"]}


def test_the_url_is_reversible():
    assert reverse("ciam_fraud:sift_webhook") == URL


@pytest.mark.parametrize("algorithm", ["sha1", "sha256"])
def test_a_signed_decision_is_recorded_against_the_user(configured, user, algorithm):
    body = decision_body(configured["user_id"], "looks_ok")
    response = post(body, sign(body, algorithm))
    assert response.status_code == 200
    decision = SiftDecision.objects.get()
    assert (decision.decision_id, decision.entity_type, decision.user) == ("looks_ok", "user", user)
    assert decision.action == SiftDecision.Action.NONE
    assert decision.decided_at.year == 2016
    assert configured["browser"].get("/accounts/security/").status_code == 200  # untouched


@pytest.mark.parametrize(
    "signature",
    [
        None,
        "",
        "sha1=" + "0" * 40,
        "md5=abc",
        "sha1",
    ],
)
def test_a_bad_or_missing_signature_is_401(configured, signature):
    body = decision_body(configured["user_id"], "looks_bad_lock")
    assert post(body, signature).status_code == 401
    assert SiftDecision.objects.count() == 0
    assert get_user_model().objects.get(username="alice").is_active


def test_a_signature_with_another_key_is_401(configured):
    body = decision_body(configured["user_id"], "looks_ok")
    assert post(body, sign(body, key="someone-else")).status_code == 401


def test_the_signature_covers_the_raw_bytes(configured):
    body = decision_body(configured["user_id"], "looks_ok")
    reformatted = json.dumps(json.loads(body), indent=2).encode()  # same JSON, other bytes
    assert post(reformatted, sign(body)).status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"\xff\xfe",
        b"[]",
        b'{"entity": {"type": "order", "id": "1"}, "decision": {"id": "x"}}',
        b'{"entity": {"type": "user"}, "decision": {"id": "x"}}',
    ],
)
def test_bad_json_or_shape_is_400_after_a_good_signature(configured, body):
    assert post(body, sign(body)).status_code == 400


def test_only_post_is_accepted(configured):
    assert Client().get(URL).status_code == 405
    assert Client().put(URL, data=b"{}").status_code == 405


def test_webhooks_are_refused_until_a_key_is_saved(sift):
    sift.configure(webhook_key="")
    body = decision_body("x", "y")
    assert post(body, sign(body)).status_code == 401


def test_sign_out_everywhere_ends_every_session(configured, user, password):
    other = Client()
    login(other, "alice", password)
    assert Session.objects.count() == 2
    body = decision_body(configured["user_id"], "looks_bad_sign_out")
    assert post(body, sign(body)).status_code == 200
    assert SiftDecision.objects.get().action == SiftDecision.Action.SIGN_OUT
    for browser in (configured["browser"], other):
        assert browser.get("/accounts/security/").status_code == 302  # back to the login page


def test_lock_deactivates_the_account(configured, user, password):
    body = decision_body(configured["user_id"], "looks_bad_lock")
    assert post(body, sign(body)).status_code == 200
    user.refresh_from_db()
    assert not user.is_active
    assert configured["browser"].get("/accounts/security/").status_code == 302
    fresh = Client()
    login(fresh, "alice", password)
    assert "_auth_user_id" not in fresh.session


def test_require_password_reset_removes_the_password(configured, user, password):
    body = decision_body(configured["session_id"], "looks_bad_reset", entity_type="session")
    assert post(body, sign(body)).status_code == 200
    decision = SiftDecision.objects.get()
    assert decision.user == user and decision.password_reset_required
    user.refresh_from_db()
    assert not user.has_usable_password()
    assert configured["browser"].get("/accounts/security/").status_code == 302
    assert login(Client(), "alice", password).status_code == 400


def test_a_decision_about_an_unknown_entity_is_recorded_without_action(configured):
    body = decision_body("f" * 64, "looks_bad_lock")
    assert post(body, sign(body)).status_code == 200
    decision = SiftDecision.objects.get()
    assert decision.user is None and decision.action == SiftDecision.Action.NONE
    assert "no user" in decision.note


def test_decision_lists_reject_bad_ids_and_duplicates():
    from django.core.exceptions import ValidationError

    settings = SiftSettings(
        lock_decision_ids="a b", sign_out_decision_ids="a", deny_decision_ids="x y!"
    )
    with pytest.raises(ValidationError) as error:
        settings.clean()
    assert set(error.value.message_dict) == {"lock_decision_ids", "deny_decision_ids"}


def test_a_burst_of_decisions_is_not_rate_limited(configured):
    client = Client(REMOTE_ADDR="198.51.100.20")
    for n in range(60):
        body = decision_body(f"{n:064x}", "looks_ok")
        assert post(body, sign(body), client=client).status_code == 200
    assert SiftDecision.objects.count() == 60
