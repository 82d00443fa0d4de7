"""Adding a passkey from Account security: recent authentication first (password or passkey),
discoverable credential with user verification and "none" attestation, the random user handle,
excludeCredentials, names from the AAGUID or the browser."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client
from django.urls import reverse

from ciam import signals as ciam_signals
from passkeys.models import Passkey, PasskeySettings, WebAuthnUser

from .authenticator import CredentialExcluded, SoftAuthenticator, unb64u
from .conftest import age_authentication, ceremony, post_json

pytestmark = pytest.mark.django_db

ADD = reverse("passkeys:add")
CHROME_ON_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
ONE_PASSWORD = uuid.UUID("bada5566-a7aa-401f-bd96-45619a55120d").bytes


def add_passkey_through_the_site(client, authenticator, name="", **create_kwargs):
    options = post_json(client, "passkeys:register_options")
    assert options.status_code == 200, options.content
    credential = authenticator.create(options.json(), **create_kwargs)
    return post_json(client, "passkeys:register", {"credential": credential, "name": name})


@pytest.fixture
def device_changes(connect_receiver):
    seen = []
    connect_receiver(
        ciam_signals.mfa_device_changed,
        lambda sender, request, user, kind, action, **kw: seen.append((user, kind, action)),
    )
    return seen


def test_creation_options(signed_in, user, add_passkey):
    existing = add_passkey(user, SoftAuthenticator())
    options = post_json(signed_in, "passkeys:register_options").json()["publicKey"]

    assert options["rp"] == {"id": "localhost", "name": "example.com"}
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert options["attestation"] == "none"
    assert options["timeout"] == 300_000
    assert [c["id"] for c in options["excludeCredentials"]] == [existing.credential_id]
    assert options["user"]["name"] == user.email
    handle = unb64u(options["user"]["id"])
    assert len(handle) == 32
    assert str(user.pk).encode() not in handle and user.email.encode() not in handle
    assert options["user"]["id"] == WebAuthnUser.objects.get(user=user).handle


def test_user_handles_are_random_per_user(make_user):
    handles = {WebAuthnUser.handle_for(make_user()) for _ in range(5)}
    assert len(handles) == 5


def test_add_a_passkey(signed_in, user, device_changes):
    authenticator = SoftAuthenticator(aaguid=ONE_PASSWORD, backup_eligible=True, backed_up=True)
    response = add_passkey_through_the_site(signed_in, authenticator)

    assert response.status_code == 200, response.content
    assert response.json() == {"location": reverse("ciam:account_security")}
    passkey = Passkey.objects.get(user=user)
    assert passkey.name == "1Password"
    assert unb64u(passkey.credential_id) == authenticator.credentials[0].credential_id
    assert passkey.aaguid == "bada5566-a7aa-401f-bd96-45619a55120d"
    assert passkey.backup_eligible and passkey.backed_up
    assert passkey.transports == ["internal"]
    assert device_changes == [(user, "passkey", "added")]
    page = signed_in.get(reverse("ciam:account_security")).content.decode()
    assert "1Password" in page and "Synced" in page


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        (({"x": 1}, "usb"), ["usb"]),
        ((["nfc"], None, 5, "teleport", "hybrid", "internal"), ["hybrid", "internal"]),
        ("internal", []),  # not a list
    ],
)
def test_only_known_transports_are_kept(signed_in, user, sent, kept):
    authenticator = SoftAuthenticator(transports=sent)
    response = add_passkey_through_the_site(signed_in, authenticator)
    assert response.status_code == 200, response.content
    assert Passkey.objects.get(user=user).transports == kept


def test_unknown_provider_is_named_after_browser_and_os(client, user, password):
    client = Client(HTTP_USER_AGENT=CHROME_ON_MAC)
    client.post(reverse("account_login"), {"login": user.username, "password": password})
    add_passkey_through_the_site(client, SoftAuthenticator())
    passkey = Passkey.objects.get(user=user)
    assert passkey.name == "Chrome on macOS"
    assert not passkey.backup_eligible


def test_the_name_typed_wins(signed_in, user):
    add_passkey_through_the_site(signed_in, SoftAuthenticator(), name="  Work   laptop ")
    assert Passkey.objects.get(user=user).name == "Work laptop"


def test_the_same_authenticator_is_excluded_and_refused(signed_in, user):
    authenticator = SoftAuthenticator()
    add_passkey_through_the_site(signed_in, authenticator)
    options = post_json(signed_in, "passkeys:register_options").json()
    with pytest.raises(CredentialExcluded):
        authenticator.create(options)
    # A client that ignores excludeCredentials and sends the same credential id is refused.
    known_id = authenticator.credentials[0].credential_id
    credential = SoftAuthenticator().create(options, credential_id=known_id)
    response = post_json(signed_in, "passkeys:register", {"credential": credential})
    assert response.status_code == 400
    assert response.json()["code"] == "already_registered"
    assert Passkey.objects.filter(user=user).count() == 1


def test_user_verification_is_required(signed_in, user):
    response = add_passkey_through_the_site(signed_in, SoftAuthenticator(user_verified=False))
    assert response.status_code == 400
    assert response.json()["code"] == "user_not_verified"
    assert not Passkey.objects.exists()


def test_preferred_user_verification_accepts_a_key_without_pin(signed_in, user):
    config = PasskeySettings.load()
    config.user_verification = PasskeySettings.UserVerification.PREFERRED
    config.save()
    options = post_json(signed_in, "passkeys:register_options").json()["publicKey"]
    assert options["authenticatorSelection"]["userVerification"] == "preferred"
    credential = SoftAuthenticator(user_verified=False).create(options)
    assert post_json(signed_in, "passkeys:register", {"credential": credential}).status_code == 200


def test_attestation_preference_from_the_admin(signed_in):
    config = PasskeySettings.load()
    config.attestation = PasskeySettings.Attestation.DIRECT
    config.save()
    options = post_json(signed_in, "passkeys:register_options").json()["publicKey"]
    assert options["attestation"] == "direct"


def test_wrong_origin_when_adding(signed_in):
    response = add_passkey_through_the_site(
        signed_in, SoftAuthenticator(), origin="https://phishing.example"
    )
    assert response.json()["code"] == "wrong_origin"


def test_registration_challenge_is_single_use(signed_in, user):
    options = post_json(signed_in, "passkeys:register_options").json()
    credential = SoftAuthenticator().create(options)
    assert post_json(signed_in, "passkeys:register", {"credential": credential}).status_code == 200
    replay = post_json(signed_in, "passkeys:register", {"credential": credential})
    assert replay.json()["code"] == "expired"


def test_signed_out_user_cannot_add(client):
    assert post_json(client, "passkeys:register_options").status_code == 401
    assert client.get(ADD)["Location"].startswith(reverse("account_login"))


def test_stale_sign_in_asks_for_the_password(signed_in, user):
    age_authentication(signed_in, 600)
    response = signed_in.get(ADD)
    assert response.status_code == 302
    assert (
        response["Location"]
        == f"{reverse('account_reauthenticate')}?next=%2Faccounts%2Fpasskeys%2Fadd%2F"
    )
    refused = post_json(signed_in, "passkeys:register_options")
    assert refused.status_code == 403
    assert refused.json()["code"] == "reauthentication_required"


def test_password_reauthentication_opens_the_add_page(signed_in, password):
    age_authentication(signed_in, 600)
    response = signed_in.post(
        f"{reverse('account_reauthenticate')}?next={ADD}", {"password": password}
    )
    assert response["Location"] == ADD
    assert signed_in.get(ADD).status_code == 200


def test_stale_sign_in_with_a_passkey_asks_for_the_passkey(signed_in, user, add_passkey):
    authenticator = SoftAuthenticator()
    add_passkey(user, authenticator)
    age_authentication(signed_in, 600)

    response = signed_in.get(ADD)
    assert (
        response["Location"]
        == f"{reverse('passkeys:reauthenticate')}?next=%2Faccounts%2Fpasskeys%2Fadd%2F"
    )
    page = signed_in.get(response["Location"]).content.decode()
    assert "Confirm with a passkey" in page and "Use your password instead" in page

    confirmed = ceremony(signed_in, authenticator, "passkeys:reauthenticate", {"next": ADD})
    assert confirmed.json() == {"location": ADD}
    assert signed_in.get(ADD).status_code == 200


def test_reauthentication_only_accepts_the_users_own_passkey(signed_in, make_user, add_passkey):
    other = SoftAuthenticator()
    add_passkey(make_user("mallory"), other)
    options = post_json(signed_in, "passkeys:reauthenticate_options").json()
    assertion = other.get(
        {**options, "publicKey": {**options["publicKey"], "allowCredentials": []}}
    )
    response = post_json(signed_in, "passkeys:reauthenticate_verify", {"credential": assertion})
    assert response.json()["code"] == "unknown_credential"
