"""Everything the passkey endpoints refuse, with a clear JSON message and a 4xx, never a 500:
methods, CSRF, oversized and malformed bodies, unknown credentials, wrong origin or RP ID,
replayed, expired or foreign challenges, missing user verification, bad signatures."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from passkeys.models import Challenge

from .authenticator import SoftAuthenticator, b64u, unb64u
from .conftest import post_json

pytestmark = pytest.mark.django_db

JSON_ENDPOINTS = [
    "passkeys:login_options",
    "passkeys:login",
    "passkeys:step_up_options",
    "passkeys:step_up",
    "passkeys:reauthenticate_options",
    "passkeys:reauthenticate_verify",
    "passkeys:register_options",
    "passkeys:register",
    "passkeys:signup_options",
    "passkeys:signup_verify",
]


@pytest.fixture
def registered(user, authenticator, add_passkey):
    return add_passkey(user, authenticator)


def login_answer(client, authenticator, **get_kwargs):
    options = post_json(client, "passkeys:login_options").json()
    return authenticator.get(options, **get_kwargs)


def post_login(client, assertion):
    return post_json(client, "passkeys:login", {"credential": assertion})


def assert_refused(response, code, status=400):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["code"] == code
    assert body["error"]  # a sentence for the user
    return body


@pytest.mark.parametrize("urlname", JSON_ENDPOINTS)
def test_only_post(client, urlname):
    response = client.get(reverse(urlname))
    assert_refused(response, "method_not_allowed", 405)
    assert response["Allow"] == "POST"


@pytest.mark.parametrize("urlname", JSON_ENDPOINTS)
def test_csrf_token_required(urlname):
    client = Client(enforce_csrf_checks=True)
    assert_refused(post_json(client, urlname, {}), "csrf", 403)


def test_csrf_token_in_header_is_accepted(db):
    client = Client(enforce_csrf_checks=True)
    client.get(reverse("account_login"))  # the page sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    response = post_json(client, "passkeys:login_options", {}, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200


def test_oversized_body(client):
    response = post_json(client, "passkeys:login", '{"credential": "' + "a" * 70_000 + '"}')
    assert_refused(response, "too_large", 413)


@pytest.mark.parametrize("body", ["{not json", "[1, 2]", '"text"', "", "\xff"])
def test_malformed_json(client, body):
    assert_refused(post_json(client, "passkeys:login", body), "malformed")


def test_deeply_nested_json_under_the_size_cap(client):
    # About 60 kB, under the 64 kB cap: nested deep enough to exhaust Python's parser.
    body = '{"credential":' + "[" * 30_000 + "]" * 30_000 + "}"
    assert len(body) < 64 * 1024
    assert_refused(post_json(client, "passkeys:login", body), "malformed")


@pytest.mark.parametrize(
    "credential",
    [None, "text", {}, {"id": "abc"}, {"id": "abc", "response": {"clientDataJSON": "!!"}}],
)
def test_malformed_credential(client, credential):
    post_json(client, "passkeys:login_options")
    response = post_json(client, "passkeys:login", {"credential": credential})
    assert_refused(response, "malformed")


def test_garbage_in_every_field_is_a_400(client, registered, authenticator):
    assertion = login_answer(client, authenticator)
    assertion["response"]["authenticatorData"] = "AAAA"
    assertion["response"]["signature"] = "%%%"
    response = post_login(client, assertion)
    assert 400 <= response.status_code < 500


def test_unknown_credential(client, registered):
    stranger = SoftAuthenticator()
    stranger.create(
        {"rp": {"id": "localhost"}, "user": {"id": b64u(b"x" * 32)}, "challenge": b64u(b"c" * 32)}
    )
    body = assert_refused(post_login(client, login_answer(client, stranger)), "unknown_credential")
    assert "not registered" in body["error"]


def test_wrong_origin(client, registered, authenticator):
    assertion = login_answer(client, authenticator, origin="https://phishing.example")
    body = assert_refused(post_login(client, assertion), "wrong_origin")
    assert "another site" in body["error"]


def test_wrong_rp_id(client, registered, authenticator):
    assertion = login_answer(client, authenticator, rp_id="phishing.example")
    assert_refused(post_login(client, assertion), "wrong_rp_id")


def test_replayed_assertion(client, registered, authenticator):
    assertion = login_answer(client, authenticator)
    assert post_login(client, assertion).status_code == 200
    client.logout()
    body = assert_refused(post_login(client, assertion), "expired")
    assert "already used" in body["error"]


def test_expired_challenge(client, registered, authenticator):
    assertion = login_answer(client, authenticator)
    Challenge.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_refused(post_login(client, assertion), "expired")
    assert client.session.get(SESSION_KEY) is None


def test_challenge_of_another_session(client, registered, authenticator):
    assertion = login_answer(client, authenticator)
    assert_refused(post_login(Client(), assertion), "expired")
    # The owner of the challenge can still use it: the other session did not consume it.
    assert post_login(client, assertion).status_code == 200


def test_challenge_not_issued_by_the_site(client, registered, authenticator):
    post_json(client, "passkeys:login_options")
    forged = {"publicKey": {"challenge": b64u(b"chosen by the attacker" * 2), "rpId": "localhost"}}
    assert_refused(post_login(client, authenticator.get(forged)), "expired")


def test_missing_user_verification(client, registered, authenticator):
    assertion = login_answer(client, authenticator, user_verified=False)
    body = assert_refused(post_login(client, assertion), "user_not_verified")
    assert "face, fingerprint or PIN" in body["error"]


def test_missing_user_presence(client, registered, authenticator):
    assertion = login_answer(client, authenticator, user_present=False)
    assert_refused(post_login(client, assertion), "user_not_present")


def test_bad_signature(client, registered, authenticator):
    assertion = login_answer(client, authenticator)
    signature = bytearray(unb64u(assertion["response"]["signature"]))
    signature[-1] ^= 0x01
    assertion["response"]["signature"] = b64u(bytes(signature))
    assert_refused(post_login(client, assertion), "bad_signature")


def test_user_handle_of_another_account(client, registered, authenticator):
    assertion = login_answer(client, authenticator, user_handle=b"someone else's handle....")
    assert_refused(post_login(client, assertion), "unknown_credential")


def test_backed_up_without_backup_eligibility(client, registered, authenticator):
    assertion = login_answer(client, authenticator, backed_up=True, backup_eligible=False)
    assert_refused(post_login(client, assertion), "invalid")


def test_nothing_is_changed_by_a_refusal(client, registered, authenticator):
    assertion = login_answer(client, authenticator, user_verified=False)
    post_login(client, assertion)
    registered.refresh_from_db()
    assert registered.sign_count == 0
    assert registered.last_used_at is None
