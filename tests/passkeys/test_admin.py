"""The admin: passkey settings (validated), passkeys per user, and revoking them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ciam import signals as ciam_signals
from passkeys.models import Passkey, PasskeySettings

from .authenticator import SoftAuthenticator

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, make_user):
    admin = make_user("root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    return client


def test_settings_page_goes_straight_to_the_row(staff_client):
    response = staff_client.get(reverse("admin:ciam_passkeys_passkeysettings_changelist"))
    assert response.status_code == 302
    page = staff_client.get(response["Location"]).content.decode()
    assert "Default: 300 (5 minutes)" in page
    assert "Default: off" in page


def test_settings_refuse_a_silly_timeout(staff_client):
    url = reverse("admin:ciam_passkeys_passkeysettings_change", args=[PasskeySettings.load().pk])
    response = staff_client.post(
        url, {"challenge_timeout": "5", "attestation": "none", "user_verification": "required"}
    )
    assert response.status_code == 200
    assert "Choose between 30 and 3600 seconds." in response.content.decode()
    assert PasskeySettings.load().challenge_timeout == 300


def test_passkeys_per_user(staff_client, user, make_user, add_passkey):
    add_passkey(user, SoftAuthenticator(), name="Alice's phone")
    add_passkey(make_user("bob"), SoftAuthenticator(), name="Bob's laptop")
    url = reverse("admin:ciam_passkeys_passkey_changelist")
    page = staff_client.get(url, {"user__id__exact": user.pk}).content.decode()
    assert "Alice&#x27;s phone" in page
    assert "Bob&#x27;s laptop" not in page


def test_revoke(staff_client, user, add_passkey, connect_receiver):
    changes = []
    connect_receiver(
        ciam_signals.mfa_device_changed,
        lambda sender, request, user, kind, action, **kw: changes.append((user, kind, action)),
    )
    passkey = add_passkey(user, SoftAuthenticator())
    response = staff_client.post(
        reverse("admin:ciam_passkeys_passkey_changelist"),
        {"action": "revoke", "_selected_action": [passkey.pk]},
    )
    assert response.status_code == 302
    assert not Passkey.objects.exists()
    assert changes == [(user, "passkey", "removed")]
