"""Sift decision webhooks: signatures (sha1, sha256) over the raw body, clear 4xx answers, the
decision recorded against the user, and the administrator's action applied."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.urls import reverse

from fraud.sift.models import SiftDecision, SiftSettings
from fraud.sift.signals import sift_decision_applied
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


def now_ms(seconds_ago: float = 0) -> int:
    return int((time.time() - seconds_ago) * 1000)


def decision_body(
    entity_id: str, decision_id: str, entity_type: str = "user", at: int | None = None
) -> bytes:
    """A decision as Sift posts it; ``at`` is its ``time`` in ms (now by default)."""
    # Compact separators, not json.dumps's default: the signature is over these exact bytes.
    data = {
        "entity": {"type": entity_type, "id": entity_id},
        "decision": {"id": decision_id},
        "time": now_ms() if at is None else at,
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
    decided = now_ms(seconds_ago=5)
    body = decision_body(configured["user_id"], "looks_ok", at=decided)
    response = post(body, sign(body, algorithm))
    assert response.status_code == 200
    decision = SiftDecision.objects.get()
    assert (decision.decision_id, decision.entity_type, decision.user) == ("looks_ok", "user", user)
    assert decision.action == SiftDecision.Action.NONE
    assert decision.decided_at == datetime.fromtimestamp(decided / 1000, tz=UTC)
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
        # No time: a decision that cannot be dated cannot be told from a replay.
        b'{"entity": {"type": "user", "id": "1"}, "decision": {"id": "x"}}',
        b'{"entity": {"type": "user", "id": "1"}, "decision": {"id": "x"}, "time": "today"}',
        b'{"entity": {"type": "user", "id": "1"}, "decision": {"id": "x"}, "time": true}',
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


# -- replays -------------------------------------------------------------------------------


def test_a_second_delivery_is_200_and_applies_nothing(configured, user):
    body = decision_body(configured["user_id"], "looks_bad_lock")
    assert post(body, sign(body)).status_code == 200
    user.refresh_from_db()
    assert not user.is_active
    # The administrator looks into it and unlocks the account; the same delivery comes again
    # (Sift retrying, or someone who kept the signed request).
    user.is_active = True
    user.save(update_fields=["is_active"])

    again = post(body, sign(body))

    assert again.status_code == 200  # a 2xx, or Sift would retry it
    assert again.json()["duplicate"] is True
    user.refresh_from_db()
    assert user.is_active
    assert SiftDecision.objects.count() == 1


def test_the_same_decision_made_again_later_is_applied(configured, user):
    first = decision_body(configured["user_id"], "looks_bad_lock", at=now_ms(seconds_ago=60))
    assert post(first, sign(first)).status_code == 200
    user.is_active = True
    user.save(update_fields=["is_active"])
    later = decision_body(configured["user_id"], "looks_bad_lock")
    assert post(later, sign(later)).status_code == 200
    user.refresh_from_db()
    assert not user.is_active
    assert SiftDecision.objects.count() == 2


@pytest.mark.parametrize("seconds_ago", [11 * 60, 24 * 3600, -11 * 60])
def test_a_decision_outside_the_window_is_refused(configured, user, seconds_ago):
    body = decision_body(configured["user_id"], "looks_bad_lock", at=now_ms(seconds_ago))
    response = post(body, sign(body))
    assert response.status_code == 409
    assert "minutes" in response.json()["error"]
    user.refresh_from_db()
    assert user.is_active
    assert SiftDecision.objects.count() == 0


def test_the_window_is_a_deployment_setting(configured, settings):
    settings.CIAM_SIFT_WEBHOOK_MAX_AGE = 60
    stale = decision_body(configured["user_id"], "looks_ok", at=now_ms(seconds_ago=120))
    assert post(stale, sign(stale)).status_code == 409
    fresh = decision_body(configured["user_id"], "looks_ok", at=now_ms(seconds_ago=30))
    assert post(fresh, sign(fresh)).status_code == 200


@pytest.mark.postgres
def test_two_deliveries_racing_apply_once(configured, require_postgres, connect_receiver):
    applied = []
    connect_receiver(sift_decision_applied, lambda sender, decision, **kw: applied.append(decision))
    body = decision_body(configured["user_id"], "looks_bad_lock")
    barrier = threading.Barrier(4)
    answers = []

    def deliver():
        try:
            barrier.wait()
            answers.append(post(body, sign(body)).json())
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted("duplicate" in answer for answer in answers) == [False, True, True, True]
    assert SiftDecision.objects.count() == 1
    assert len(applied) == 1


def test_the_migration_keeps_the_first_of_repeated_deliveries(db):
    from django.db.migrations.executor import MigrationExecutor

    before = [("ciam_fraud", "0005_sift_deny_texts_blank")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps.get_model("ciam_fraud", "SiftDecision")
        decided = datetime(2026, 1, 1, tzinfo=UTC)
        key = {"decision_id": "looks_bad_lock", "entity_type": "user", "entity_id": "u1"}
        first = old.objects.create(decided_at=decided, **key)
        for _ in range(2):  # Sift's retries, each recorded before the constraint existed
            old.objects.create(decided_at=decided, **key)
        other = old.objects.create(decided_at=decided, **{**key, "entity_id": "u2"})
        undated = [old.objects.create(decided_at=None, **key).pk for _ in range(2)]
    finally:
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())

    kept = set(SiftDecision.objects.values_list("pk", flat=True))
    assert kept == {first.pk, other.pk, *undated}
