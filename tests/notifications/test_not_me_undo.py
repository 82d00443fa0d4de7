"""What "This wasn't me" takes back: an email address the intruder made primary, and the
passkeys and authenticator apps added since the reported sign-in or change, all done through
the site as an intruder would."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from fraud.events.models import EventType, SecurityEvent
from passkeys.models import Passkey
from tests.ciam.test_step_up import totp_code
from tests.notifications.conftest import AWAY, HOME, emails
from tests.passkeys.authenticator import SoftAuthenticator
from tests.passkeys.conftest import post_json

pytestmark = pytest.mark.django_db(transaction=True)

NOT_ME = "/notifications/not-me/"
EMAIL = reverse("account_email")
REAUTHENTICATE = reverse("account_reauthenticate")
EVIL = "evil@attacker.test"


def addresses(user) -> list[tuple[str, bool]]:
    return list(EmailAddress.objects.filter(user=user).values_list("email", "primary"))


def make_evil_address_primary(intruder: Client, mailoutbox) -> None:
    """Add, confirm (the intruder reads that mailbox) and make primary an address."""
    assert intruder.post(EMAIL, {"action_add": "", "email": EVIL}).status_code == 302
    (confirmation,) = [m for m in mailoutbox if m.to == [EVIL]]
    key_url = re.search(r"https?://[^/\s]+(/accounts/confirm-email/[^\s]+)", confirmation.body)
    assert intruder.post(key_url.group(1)).status_code == 302
    response = intruder.post(EMAIL, {"action_primary": "", "email": EVIL})
    assert response.status_code == 302
    assert (EVIL, True) in addresses(EmailAddress.objects.get(email=EVIL).user)


def add_authenticator_app(intruder: Client, user) -> None:
    assert intruder.get(reverse("ciam:totp_setup")).status_code == 200
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert intruder.post(reverse("ciam:totp_setup"), {"token": totp_code(device)}).status_code in (
        200,
        302,
    )
    assert TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def add_passkey(intruder: Client, name: str) -> None:
    options = post_json(intruder, "passkeys:register_options")
    assert options.status_code == 200, options.content
    credential = SoftAuthenticator().create(options.json())
    response = post_json(intruder, "passkeys:register", {"credential": credential, "name": name})
    assert response.status_code == 200, response.content


@pytest.fixture
def intruder(user, password, sign_in, known_device, mailoutbox):
    """Alice's browser is known; an intruder who has her password signs in from elsewhere and
    confirms it (allauth's reauthentication), ready to change the account."""
    known_device(HOME)
    browser = Client()
    assert sign_in(browser, AWAY).status_code == 302
    assert browser.post(REAUTHENTICATE, {"password": password}).status_code == 302
    return browser


def test_an_email_change_is_taken_back(intruder, user, mailoutbox):
    mailoutbox.clear()
    make_evil_address_primary(intruder, mailoutbox)
    (changed,) = [e for e in emails(mailoutbox, "alice@example.com") if "changed" in e.subject]

    assert Client().post(changed.link(NOT_ME)).status_code == 302

    assert addresses(user) == [("alice@example.com", True)]
    user.refresh_from_db()
    assert user.email == "alice@example.com"
    # A password reset asked for the intruder's address sends no reset link anywhere.
    mailoutbox.clear()
    Client().post(reverse("account_reset_password"), {"email": EVIL}, REMOTE_ADDR=AWAY)
    assert not any("/accounts/password/reset/key/" in m.body for m in mailoutbox)
    event = SecurityEvent.objects.get(type=EventType.DEVICE_UNTRUSTED)
    assert event.data["emails_removed"] == ["e•••@attacker.test"]
    assert event.data["primary_email_restored"] == "a•••@example.com"


def test_a_new_sign_in_report_removes_what_was_added_since(intruder, user, mailoutbox):
    (new_sign_in,) = [e for e in emails(mailoutbox, "alice@example.com") if "sign-in" in e.subject]
    # Alice's own passkey and app, from before the intruder's sign-in, stay.
    own_passkey = Passkey.objects.create(
        user=user, credential_id="YWxpY2Utb3du", public_key=b"k", name="Alice's phone"
    )
    Passkey.objects.filter(pk=own_passkey.pk).update(
        created_at=own_passkey.created_at.replace(year=2020)
    )
    add_authenticator_app(intruder, user)
    add_passkey(intruder, "Intruder's key")
    make_evil_address_primary(intruder, mailoutbox)

    assert Client().post(new_sign_in.link(NOT_ME)).status_code == 302

    assert list(Passkey.objects.filter(user=user).values_list("name", flat=True)) == [
        "Alice's phone"
    ]
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert addresses(user) == [("alice@example.com", True)]


def test_a_passkey_added_report_removes_it_and_keeps_older_ones(intruder, user, mailoutbox):
    own = Passkey.objects.create(
        user=user, credential_id="YWxpY2Utb3du", public_key=b"k", name="Own"
    )
    Passkey.objects.filter(pk=own.pk).update(created_at=own.created_at.replace(year=2020))
    mailoutbox.clear()
    add_passkey(intruder, "Intruder's key")
    (added,) = [
        e for e in emails(mailoutbox, "alice@example.com") if "passkey" in e.subject.lower()
    ]

    assert Client().post(added.link(NOT_ME)).status_code == 302

    assert list(Passkey.objects.filter(user=user).values_list("name", flat=True)) == ["Own"]
    assert SecurityEvent.objects.get(type=EventType.DEVICE_UNTRUSTED).data["passkeys_removed"] == 1
