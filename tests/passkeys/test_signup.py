"""Passwordless sign-up (admin on/off): an account from an email address and a passkey, no
password, email verification as configured, and the same enumeration-proof answer as the
password sign-up when the address is taken."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import SESSION_KEY, get_user_model
from django.core import mail
from django.urls import reverse

from ciam import signals
from ciam.verdicts import Refusal
from passkeys.models import Passkey, PasskeySettings, WebAuthnUser

from .authenticator import SoftAuthenticator, unb64u
from .conftest import post_json, sign_in_with_passkey

pytestmark = pytest.mark.django_db

EMAIL = "newcomer@example.com"
SENT = reverse("account_email_verification_sent")


@pytest.fixture
def enabled(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    config = PasskeySettings.load()
    config.passwordless_signup = True
    config.save()


def sign_up(client, authenticator, email=EMAIL, **create_kwargs):
    options = post_json(client, "passkeys:signup_options", {"email": email})
    assert options.status_code == 200, options.content
    credential = authenticator.create(options.json(), **create_kwargs)
    return options.json()["publicKey"], post_json(
        client, "passkeys:signup_verify", {"credential": credential}
    )


def test_off_by_default(client):
    assert client.get(reverse("passkeys:signup")).status_code == 404
    response = post_json(client, "passkeys:signup_options", {"email": EMAIL})
    assert response.status_code == 404
    assert response.json()["code"] == "signup_closed"
    assert "Sign up with a passkey" not in client.get(reverse("account_signup")).content.decode()


def test_pages_link_to_it_when_on(client, enabled):
    assert client.get(reverse("passkeys:signup")).status_code == 200
    assert "Sign up with a passkey" in client.get(reverse("account_signup")).content.decode()
    login_page = client.get(reverse("account_login")).content.decode()
    assert "Create an account with a passkey" in login_page


def test_sign_up_with_a_passkey(client, enabled):
    authenticator = SoftAuthenticator(backup_eligible=True)
    options, response = sign_up(client, authenticator)

    assert response.status_code == 200, response.content
    assert response.json() == {"location": SENT}
    user = get_user_model().objects.get(email=EMAIL)
    assert not user.has_usable_password()
    assert EmailAddress.objects.get(user=user).verified is False
    assert WebAuthnUser.objects.get(user=user).handle == options["user"]["id"]
    assert len(unb64u(options["user"]["id"])) == 32
    assert options["user"]["name"] == EMAIL
    passkey = Passkey.objects.get(user=user)
    assert passkey.backup_eligible
    # Mandatory verification: not signed in until the link is followed.
    assert SESSION_KEY not in client.session
    (message,) = mail.outbox
    assert EMAIL in message.to


def test_the_new_passkey_signs_in_once_the_email_is_verified(client, enabled):
    authenticator = SoftAuthenticator()
    sign_up(client, authenticator)
    EmailAddress.objects.filter(email=EMAIL).update(verified=True)

    response = sign_in_with_passkey(client, authenticator)

    assert response.json() == {"location": reverse("ciam:account_security")}
    assert client.session[SESSION_KEY] == str(get_user_model().objects.get(email=EMAIL).pk)


def test_taken_address_answers_like_a_new_one(client, enabled, make_user):
    make_user("owner", EMAIL)
    _options, response = sign_up(client, SoftAuthenticator())

    assert response.json() == {"location": SENT}
    assert get_user_model().objects.filter(email__iexact=EMAIL).count() == 1
    assert not Passkey.objects.exists()
    (message,) = mail.outbox  # "someone tried to sign up with your address"
    assert EMAIL in message.to


def test_invalid_address(client, enabled):
    response = post_json(client, "passkeys:signup_options", {"email": "not-an-address"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_form"
    assert "email" in response.json()["fields"]


def test_refused_like_the_sign_up_form(client, enabled, connect_receiver):
    connect_receiver(
        signals.authentication_attempted,
        lambda sender, request, flow, identifier, **kw: (
            Refusal("Slow down.", status=429) if flow == "signup" else None
        ),
    )
    response = post_json(client, "passkeys:signup_options", {"email": EMAIL})
    assert response.status_code == 429
    assert response.json()["error"] == "Slow down."


def test_user_verification_required(client, enabled):
    _options, response = sign_up(client, SoftAuthenticator(user_verified=False))
    assert response.json()["code"] == "user_not_verified"
    assert not get_user_model().objects.filter(email=EMAIL).exists()


def test_challenge_is_single_use(client, enabled):
    options = post_json(client, "passkeys:signup_options", {"email": EMAIL}).json()
    credential = SoftAuthenticator().create(options)
    first = post_json(client, "passkeys:signup_verify", {"credential": credential})
    assert first.status_code == 200
    replay = post_json(client, "passkeys:signup_verify", {"credential": credential})
    assert replay.json()["code"] == "expired"
    assert get_user_model().objects.filter(email=EMAIL).count() == 1
