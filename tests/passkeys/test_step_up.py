"""A passkey as the second factor when the risk check says STEP_UP after a password: offered
first on the step-up page, verified against the signing-in user's passkeys only, then the
sign-in resumes."""

from __future__ import annotations

import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from ciam import signals
from ciam.verdicts import Verdict

from .authenticator import SoftAuthenticator
from .conftest import ceremony, post_json

pytestmark = pytest.mark.django_db

STEP_UP = reverse("ciam:step_up")
SECURITY = reverse("ciam:account_security")


@pytest.fixture
def step_up_verdict(connect_receiver):
    connect_receiver(
        signals.risk_check_requested,
        lambda sender, context, **kw: Verdict.step_up(source="test", reason="unusual"),
    )


@pytest.fixture
def completed(connect_receiver):
    seen = []
    connect_receiver(
        signals.step_up_completed,
        lambda sender, request, user, method, succeeded, **kw: seen.append((method, succeeded)),
    )
    return seen


@pytest.fixture
def pause(client, user, password, step_up_verdict):
    """Sign ``user`` in with the password; returns ``client`` paused at the step-up page."""

    def sign_in():
        response = client.post(
            reverse("account_login"), {"login": user.username, "password": password}
        )
        assert response["Location"] == STEP_UP
        return client

    return sign_in


def test_step_up_page_offers_the_passkey_first(user, add_passkey, pause):
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    add_passkey(user, SoftAuthenticator())
    paused = pause()
    page = paused.get(STEP_UP).content.decode()
    assert "Verify with a passkey" in page
    assert page.index("Verify with a passkey") < page.index('name="token"')


def test_passkey_only_user_is_asked_for_the_passkey(user, add_passkey, pause):
    add_passkey(user, SoftAuthenticator())
    paused = pause()
    response = paused.get(STEP_UP)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Verify with a passkey" in page
    # No authenticator app: no code box to fill in, but the sign-in can still be cancelled.
    assert 'name="token"' not in page
    assert "Cancel sign-in" in page


def test_step_up_with_a_passkey_signs_in(user, add_passkey, pause, completed):
    authenticator = SoftAuthenticator()
    passkey = add_passkey(user, authenticator)
    paused = pause()
    options = post_json(paused, "passkeys:step_up_options").json()["publicKey"]
    assert [c["id"] for c in options["allowCredentials"]] == [passkey.credential_id]

    response = ceremony(paused, authenticator, "passkeys:step_up")

    assert response.json() == {"location": SECURITY}
    assert paused.session[SESSION_KEY] == str(user.pk)
    assert completed == [("passkey", True)]


def test_another_users_passkey_does_not_count(user, make_user, add_passkey, pause, completed):
    add_passkey(user, SoftAuthenticator())
    intruder = SoftAuthenticator()
    add_passkey(make_user("mallory"), intruder)
    paused = pause()
    options = post_json(paused, "passkeys:step_up_options").json()
    assertion = intruder.get({"publicKey": {**options["publicKey"], "allowCredentials": []}})

    response = post_json(paused, "passkeys:step_up", {"credential": assertion})

    assert response.status_code == 400
    assert response.json()["code"] == "unknown_credential"
    assert SESSION_KEY not in paused.session
    assert paused.get(STEP_UP).status_code == 200  # still paused, may try again


def test_failed_passkey_is_reported(user, add_passkey, pause, completed):
    authenticator = SoftAuthenticator()
    add_passkey(user, authenticator)
    paused = pause()
    response = ceremony(
        paused, authenticator, "passkeys:step_up", get_kwargs={"user_verified": False}
    )
    assert response.json()["code"] == "user_not_verified"
    assert completed == [("passkey", False)]
    assert SESSION_KEY not in paused.session


def test_without_a_paused_sign_in(client, user, add_passkey):
    add_passkey(user, SoftAuthenticator())
    response = post_json(client, "passkeys:step_up_options")
    assert response.status_code == 400
    assert response.json()["code"] == "no_sign_in"
    assert response.json()["location"] == reverse("account_login")


def test_user_without_passkey_gets_no_passkey_offer(user, pause):
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    paused = pause()
    assert "Verify with a passkey" not in paused.get(STEP_UP).content.decode()
    assert post_json(paused, "passkeys:step_up_options").json()["code"] == "no_passkey"
