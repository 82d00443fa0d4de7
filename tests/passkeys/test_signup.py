"""Passwordless sign-up (admin on/off): an account from an email address and a passkey, no
password, email verification as configured, and the same enumeration-proof answer as the
password sign-up when the address is taken."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import SESSION_KEY, get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse

from ciam import forms as ciam_forms
from ciam import signals
from ciam.verdicts import Refusal
from fraud.protection.models import AttackProtectionSettings
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
            Refusal("Slow down.", status=429, retry_after=42) if flow == "signup" else None
        ),
    )
    response = post_json(client, "passkeys:signup_options", {"email": EMAIL})
    assert response.status_code == 429
    assert response.json()["error"] == "Slow down."
    assert response["Retry-After"] == "42"


def test_one_sign_up_is_one_attempt(client, enabled, connect_receiver):
    attempts = []
    connect_receiver(
        signals.authentication_attempted,
        lambda sender, request, flow, identifier, **kw: attempts.append((flow, identifier)),
    )
    _options, response = sign_up(client, SoftAuthenticator())
    assert response.json() == {"location": SENT}
    assert attempts == [("signup", EMAIL)]


def test_sign_ups_count_once_against_the_per_ip_limit(enabled):
    AttackProtectionSettings.objects.update_or_create(
        pk=1, defaults={"signups_per_ip_per_minute": 2}
    )
    AttackProtectionSettings.clear_cache()
    for n in range(2):
        _options, response = sign_up(Client(), SoftAuthenticator(), email=f"new{n}@example.com")
        assert response.status_code == 200, response.content
        assert response.json() == {"location": SENT}

    refused = post_json(Client(), "passkeys:signup_options", {"email": "third@example.com"})

    assert refused.status_code == 429
    assert refused.json()["code"] == "ip_throttled"
    assert 0 < int(refused["Retry-After"]) <= 60
    assert get_user_model().objects.filter(email__endswith="@example.com").count() == 2


def test_an_attempt_allowed_at_the_start_is_not_refused_at_the_end(
    client, enabled, connect_receiver
):
    # The check happens once, when the address is given: a sign-up under way when the limit
    # is reached by others still completes.
    answers = iter([None])
    connect_receiver(
        signals.authentication_attempted,
        lambda sender, request, flow, **kw: next(answers, Refusal("Slow down.", retry_after=30)),
    )
    _options, response = sign_up(client, SoftAuthenticator())
    assert response.json() == {"location": SENT}
    assert get_user_model().objects.filter(email=EMAIL).exists()


class SiteSignupForm(ciam_forms.SignupForm):
    """A site's sign-up form with a pre-authentication check of its own."""

    attempt_flow = "site_signup"


def test_a_refusal_from_the_sites_form_keeps_its_status(
    client, enabled, settings, connect_receiver
):
    settings.ACCOUNT_FORMS = {**settings.ACCOUNT_FORMS, "signup": f"{__name__}.SiteSignupForm"}
    connect_receiver(
        signals.authentication_attempted,
        lambda sender, request, flow, **kw: (
            Refusal("Not from here.", status=429, retry_after=90) if flow == "site_signup" else None
        ),
    )
    response = post_json(client, "passkeys:signup_options", {"email": EMAIL})
    assert response.status_code == 429
    assert response.json()["error"] == "Not from here."
    assert response["Retry-After"] == "90"


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
