"""Signing in with a passkey goes through the same pipeline as a password: the risk check sees
method "passkey", user_logged_in fires, DENY shows the deny page with its status, STEP_UP does
not ask a passkey user for TOTP, and pre-authentication refusals apply."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.signals import user_logged_in
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from ciam import signals
from ciam.verdicts import Refusal, Verdict

from .conftest import post_json, sign_in_with_passkey

SECURITY = reverse("ciam:account_security")

pytestmark = pytest.mark.django_db


@pytest.fixture
def verdict(connect_receiver):
    """Every risk check answers ``holder["verdict"]``; the contexts it saw are kept."""
    holder = {"verdict": Verdict.allow(source="test"), "contexts": []}

    def receiver(sender, context, **kwargs):
        holder["contexts"].append(context)
        return holder["verdict"]

    connect_receiver(signals.risk_check_requested, receiver)
    return holder


def signed_in_user_id(client):
    return client.session.get(SESSION_KEY)


def test_login_page_offers_passkey_button_and_autofill(client):
    page = client.get(reverse("account_login")).content.decode()
    assert 'autocomplete="username webauthn"' in page
    assert 'id="ciam-passkey-login"' in page
    assert reverse("passkeys:login_options") in page
    assert "passkeys/passkeys.js" in page


def test_usernameless_options_allow_any_passkey_and_require_verification(client):
    options = post_json(client, "passkeys:login_options").json()["publicKey"]
    assert options["rpId"] == "localhost"
    assert options["allowCredentials"] == []
    assert options["userVerification"] == "required"
    assert options["timeout"] == 300_000
    assert len(options["challenge"]) >= 43  # 32+ random bytes, base64url


def test_sign_in_runs_the_pipeline(
    client, user, authenticator, add_passkey, verdict, connect_receiver
):
    passkey = add_passkey(user, authenticator)
    logged_in = []
    connect_receiver(user_logged_in, lambda sender, request, user, **kw: logged_in.append(user))

    response = sign_in_with_passkey(client, authenticator)

    assert response.status_code == 200, response.content
    assert response.json() == {"location": SECURITY}
    assert signed_in_user_id(client) == str(user.pk)
    (context,) = verdict["contexts"]
    assert context.method == "passkey"
    assert context.user == user
    assert logged_in == [user]
    # The security event log (fraud) records the sign-in with its method.
    from fraud.events.models import EventType, SecurityEvent

    event = SecurityEvent.objects.get(user=user, type=EventType.LOGIN_SUCCEEDED)
    assert event.data["method"] == "passkey"
    passkey.refresh_from_db()
    assert passkey.sign_count == 1
    assert passkey.last_used_at is not None


def test_sign_in_goes_to_next(client, user, authenticator, add_passkey):
    add_passkey(user, authenticator)
    response = sign_in_with_passkey(client, authenticator, next_url="/accounts/email/")
    assert response.json() == {"location": "/accounts/email/"}


def test_sign_in_ignores_next_on_another_site(client, user, authenticator, add_passkey):
    add_passkey(user, authenticator)
    response = sign_in_with_passkey(client, authenticator, next_url="https://evil.example/")
    assert response.json() == {"location": SECURITY}


def test_deny_verdict_lands_on_the_deny_page_with_its_status(
    client, user, authenticator, add_passkey, verdict
):
    add_passkey(user, authenticator)
    verdict["verdict"] = Verdict.deny(source="test", status=451, message="Not from there.")

    response = sign_in_with_passkey(client, authenticator)

    body = response.json()
    assert body["location"] == reverse("passkeys:outcome")
    assert body["status"] == 451
    assert signed_in_user_id(client) is None
    page = client.get(body["location"])
    assert page.status_code == 451
    assert "Not from there." in page.content.decode()
    # Served once: a reload goes back to the login page.
    assert client.get(body["location"])["Location"] == reverse("account_login")


def test_step_up_verdict_does_not_ask_a_passkey_user_for_totp(
    client, user, authenticator, add_passkey, verdict
):
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    add_passkey(user, authenticator)
    verdict["verdict"] = Verdict.step_up(source="test", reason="new device")

    response = sign_in_with_passkey(client, authenticator)

    assert response.json() == {"location": SECURITY}
    assert signed_in_user_id(client) == str(user.pk)


def test_pre_authentication_refusal_answers_with_its_status(
    client, user, authenticator, add_passkey, connect_receiver
):
    add_passkey(user, authenticator)
    seen = []

    def throttle(sender, request, flow, identifier, **kwargs):
        seen.append((flow, identifier))
        return Refusal("Too many sign-in attempts. Try again later.", status=429, retry_after=60)

    connect_receiver(signals.authentication_attempted, throttle)
    response = sign_in_with_passkey(client, authenticator)

    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert response.json()["error"] == "Too many sign-in attempts. Try again later."
    assert seen == [("login", "")]
    assert signed_in_user_id(client) is None


def test_unverified_email_still_needs_verification(client, make_user, authenticator, add_passkey):
    from allauth.account.models import EmailAddress

    user = make_user("bob")
    EmailAddress.objects.filter(user=user).update(verified=False)
    add_passkey(user, authenticator)

    response = sign_in_with_passkey(client, authenticator)

    assert re.search(r"/accounts/confirm-email/", response.json()["location"])
    assert signed_in_user_id(client) is None


def test_inactive_user_is_not_signed_in(client, user, authenticator, add_passkey):
    add_passkey(user, authenticator)
    user.is_active = False
    user.save()

    response = sign_in_with_passkey(client, authenticator)

    assert response.json()["location"] == reverse("account_inactive")
    assert signed_in_user_id(client) is None


def test_already_signed_in(client, user, authenticator, add_passkey):
    add_passkey(user, authenticator)
    client.force_login(user)
    response = post_json(client, "passkeys:login_options")
    assert response.status_code == 400
    assert response.json()["code"] == "already_signed_in"
