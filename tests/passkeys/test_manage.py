"""The Passkeys section of Account security: listing, renaming and removing one's own passkeys
(404 for anyone else's), and the last passkey of a passwordless account staying put."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ciam import signals as ciam_signals
from passkeys.models import Passkey

from .authenticator import SoftAuthenticator
from .conftest import age_authentication, sign_in_with_passkey

pytestmark = pytest.mark.django_db

SECURITY = reverse("ciam:account_security")


@pytest.fixture
def mine(user, add_passkey):
    return add_passkey(user, SoftAuthenticator(backup_eligible=True), name="Phone")


@pytest.fixture
def theirs(make_user, add_passkey):
    return add_passkey(make_user("mallory"), SoftAuthenticator(), name="Mallory's key")


def test_section_lists_passkeys(signed_in, user, add_passkey):
    add_passkey(user, SoftAuthenticator(backup_eligible=True, backed_up=True), name="Phone")
    used = add_passkey(user, SoftAuthenticator(), name="Laptop")
    used.last_used_at = timezone.now() - timedelta(hours=3)
    used.save()

    page = signed_in.get(SECURITY).content.decode()

    assert "Passkeys" in page
    assert "Phone" in page and "Synced" in page
    assert "Laptop" in page and "This device only" in page
    assert "last used 3\xa0hours ago" in page
    assert "never used" in page
    assert reverse("passkeys:add") in page


def test_section_without_passkeys_offers_to_add_one(signed_in):
    page = signed_in.get(SECURITY).content.decode()
    assert "No passkeys yet" in page
    assert "Add a passkey" in page


def test_rename(signed_in, mine):
    response = signed_in.post(reverse("passkeys:rename", args=[mine.pk]), {"name": " Work  phone "})
    assert response["Location"] == SECURITY
    mine.refresh_from_db()
    assert mine.name == "Work phone"


def test_rename_to_nothing_keeps_the_name(signed_in, mine):
    signed_in.post(reverse("passkeys:rename", args=[mine.pk]), {"name": "   "})
    mine.refresh_from_db()
    assert mine.name == "Phone"


@pytest.mark.parametrize("action", ["rename", "remove"])
def test_someone_elses_passkey_is_404(signed_in, theirs, action):
    response = signed_in.post(reverse(f"passkeys:{action}", args=[theirs.pk]), {"name": "mine now"})
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.name == "Mallory's key"


@pytest.mark.parametrize("action", ["rename", "remove"])
def test_huge_or_missing_ids_are_404(signed_in, action):
    assert signed_in.post(reverse(f"passkeys:{action}", args=[2**70])).status_code == 404
    assert signed_in.post(reverse(f"passkeys:{action}", args=[999])).status_code == 404


@pytest.mark.parametrize("action", ["rename", "remove"])
def test_get_is_not_allowed(signed_in, mine, action):
    assert signed_in.get(reverse(f"passkeys:{action}", args=[mine.pk])).status_code == 405


def test_remove(signed_in, user, mine, connect_receiver):
    changes = []
    connect_receiver(
        ciam_signals.mfa_device_changed,
        lambda sender, request, user, kind, action, **kw: changes.append((kind, action)),
    )
    response = signed_in.post(reverse("passkeys:remove", args=[mine.pk]))
    assert response["Location"] == SECURITY
    assert not Passkey.objects.filter(pk=mine.pk).exists()
    assert changes == [("passkey", "removed")]
    assert "removed" in signed_in.get(SECURITY).content.decode()


def test_remove_after_a_stale_sign_in_asks_to_confirm(signed_in, mine):
    age_authentication(signed_in, 600)
    response = signed_in.post(reverse("passkeys:remove", args=[mine.pk]))
    assert response["Location"].startswith(reverse("passkeys:reauthenticate"))
    assert Passkey.objects.filter(pk=mine.pk).exists()


def test_last_passkey_of_a_passwordless_account_stays(client, user, add_passkey):
    user.set_unusable_password()
    user.save()
    authenticator = SoftAuthenticator()
    only = add_passkey(user, authenticator, name="Phone")
    assert sign_in_with_passkey(client, authenticator).status_code == 200

    page = client.get(SECURITY).content.decode()
    assert "Your only way to sign in" in page
    response = client.post(reverse("passkeys:remove", args=[only.pk]))
    assert response["Location"] == SECURITY
    assert Passkey.objects.filter(pk=only.pk).exists()
    assert "only way to sign in" in client.get(SECURITY).content.decode()


def test_signed_out(client, mine):
    response = client.post(reverse("passkeys:remove", args=[mine.pk]))
    assert response["Location"].startswith(reverse("account_login"))
    assert Passkey.objects.filter(pk=mine.pk).exists()
