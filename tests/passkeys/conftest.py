"""Fixtures of the passkey tests: a software authenticator, passkeys registered straight in
the database, and the JSON calls the page's script makes."""

from __future__ import annotations

import json
import os
import time

import pytest
from django.urls import reverse

from passkeys.models import Passkey, WebAuthnUser

from .authenticator import RP_ID, SoftAuthenticator, b64u

AUTH_RECORDS = "account_authentication_methods"


def post_json(client, urlname: str, body=None, **extra):
    """POST ``body`` as JSON to the named URL, as passkeys.js does."""
    data = body if isinstance(body, str | bytes) else json.dumps(body or {})
    return client.post(reverse(urlname), data=data, content_type="application/json", **extra)


def ceremony(client, authenticator, prefix: str, body=None, get_kwargs=None):
    """Ask ``<prefix>_options``, answer with ``authenticator.get`` and post the answer to the
    verify URL of the ceremony. Returns the verify response."""
    verify = {
        "passkeys:login": "passkeys:login",
        "passkeys:step_up": "passkeys:step_up",
        "passkeys:reauthenticate": "passkeys:reauthenticate_verify",
    }[prefix]
    options = post_json(client, f"{prefix}_options")
    assert options.status_code == 200, options.content
    assertion = authenticator.get(options.json(), **(get_kwargs or {}))
    return post_json(client, verify, {"credential": assertion, **(body or {})})


def sign_in_with_passkey(client, authenticator, next_url: str = "", **get_kwargs):
    return ceremony(client, authenticator, "passkeys:login", {"next": next_url}, get_kwargs)


def age_authentication(client, seconds: int) -> None:
    """Make the session's authentication records ``seconds`` older."""
    session = client.session
    records = session.get(AUTH_RECORDS, [])
    for record in records:
        record["at"] = record["at"] - seconds
    session[AUTH_RECORDS] = records
    session.save()


@pytest.fixture
def authenticator():
    return SoftAuthenticator()


@pytest.fixture
def add_passkey(db):
    """Factory: a credential of ``authenticator`` registered for ``user`` directly in the
    database (registration through the site has its own tests)."""

    def add(user, authenticator, name="Test passkey", **fields) -> Passkey:
        options = {
            "rp": {"id": RP_ID},
            "user": {"id": WebAuthnUser.handle_for(user)},
            "challenge": b64u(os.urandom(32)),
        }
        authenticator.create(options)
        stored = authenticator.credentials[-1]
        return Passkey.objects.create(
            user=user,
            credential_id=b64u(stored.credential_id),
            public_key=stored.cose_public_key(),
            sign_count=stored.sign_count,
            name=name,
            transports=["internal"],
            backup_eligible=authenticator.backup_eligible,
            backed_up=authenticator.backed_up,
            **fields,
        )

    return add


@pytest.fixture
def signed_in(client, user, password):
    """``client`` signed in as ``user`` with the password just now (a recent authentication)."""
    response = client.post(reverse("account_login"), {"login": user.username, "password": password})
    assert response.status_code == 302, response.content
    assert time.time() - client.session[AUTH_RECORDS][-1]["at"] < 5
    return client
