"""Adding and removing second factors from Account security: an authenticator app (QR code,
manual key, first code) and backup codes, behind allauth's reauthentication."""

from __future__ import annotations

from base64 import b32encode
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from ciam import signals
from ciam.mfa.backup_codes import regenerate_backup_codes
from ciam.mfa.qr import qr_svg
from ciam.verdicts import Verdict
from tests.ciam.test_step_up import totp_code, wrong_code

SETUP = reverse("ciam:totp_setup")
BACKUP_CODES = reverse("ciam:backup_codes")
SECURITY = reverse("ciam:account_security")
REAUTHENTICATE = reverse("account_reauthenticate")


def remove_url(device) -> str:
    return reverse("ciam:totp_remove", args=[device.pk])


@pytest.fixture
def changes(connect_receiver):
    """Records every ``mfa_device_changed`` as (kind, action)."""
    seen = []
    connect_receiver(
        signals.mfa_device_changed,
        lambda sender, request, user, kind, action, **kw: seen.append((kind, action)),
    )
    return seen


@pytest.fixture
def signed_in(client, user, password):
    """A client that signed in and re-entered its password just now."""
    client.post(reverse("account_login"), {"login": "alice", "password": password})
    assert client.post(REAUTHENTICATE, {"password": password}).status_code == 302
    return client


@pytest.fixture
def totp(user):
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def pending_device(user) -> TOTPDevice:
    return TOTPDevice.objects.get(user=user, confirmed=False)


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_the_login_page(client):
    for url in (SETUP, BACKUP_CODES, reverse("ciam:totp_remove", args=[1])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.django_db
def test_adding_an_app_needs_the_password_again(client, user, password):
    client.post(reverse("account_login"), {"login": "alice", "password": password})
    # A sign-in alone is not a recent reauthentication.
    response = client.get(SETUP)
    assert response.status_code == 302
    assert response["Location"] == f"{REAUTHENTICATE}?next={SETUP.replace('/', '%2F')}"
    assert not TOTPDevice.objects.filter(user=user).exists()

    wrong = client.post(response["Location"], {"password": "not it"})
    assert wrong.status_code == 400
    right = client.post(response["Location"], {"password": password})
    assert right.status_code == 302
    assert right["Location"] == SETUP
    assert client.get(SETUP).status_code == 200


@pytest.mark.django_db
def test_the_setup_page_shows_a_qr_code_of_the_otpauth_url_and_the_key(signed_in, user):
    response = signed_in.get(SETUP)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    device = pending_device(user)
    url = urlparse(device.config_url)
    assert (url.scheme, url.netloc) == ("otpauth", "totp")
    secret = b32encode(device.bin_key).decode()
    assert parse_qs(url.query)["secret"] == [secret]
    assert parse_qs(url.query)["issuer"] == ["django-ciam demo"]

    body = response.content.decode()
    # The QR code on the page is exactly the one that encodes the device's otpauth URL.
    assert str(qr_svg(device.config_url)) in body
    assert str(qr_svg(device.config_url + "x")) not in body
    assert "<svg" in body and "<?xml" not in body
    assert response.context["secret"] == secret
    assert secret[:4] in body

    # Reloading shows the same key: the one the user may have scanned already.
    assert signed_in.get(SETUP).context["secret"] == secret
    assert TOTPDevice.objects.filter(user=user).count() == 1


@pytest.mark.django_db
def test_the_first_code_turns_the_app_on_and_shows_backup_codes_once(signed_in, user, changes):
    signed_in.get(SETUP)
    device = pending_device(user)

    wrong = signed_in.post(SETUP, {"token": wrong_code(device)})
    assert wrong.status_code == 400
    assert "That code is not valid" in wrong.content.decode()
    assert not TOTPDevice.objects.get(pk=device.pk).confirmed
    assert changes == []

    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=None)
    response = signed_in.post(SETUP, {"token": totp_code(device)})
    assert response.status_code == 200
    assert TOTPDevice.objects.get(pk=device.pk).confirmed
    assert changes == [("totp", "added"), ("backup_codes", "added")]
    codes = response.context["codes"]
    assert len(codes) == 10 == len(set(codes))
    body = response.content.decode()
    assert all(code in body for code in codes)
    assert "Authenticator app added." in body
    assert "no-store" in response["Cache-Control"]
    assert set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True)) == (
        set(codes)
    )

    # Shown once: the page of backup codes later shows only how many are left.
    later = signed_in.get(BACKUP_CODES)
    assert later.context["remaining"] == 10
    assert not any(code in later.content.decode() for code in codes)


@pytest.mark.django_db
def test_a_second_app_keeps_the_existing_backup_codes(signed_in, user, totp, changes):
    old = set(regenerate_backup_codes(user))
    signed_in.get(SETUP)
    response = signed_in.post(SETUP, {"token": totp_code(pending_device(user))})
    assert response.status_code == 302
    assert response["Location"] == SECURITY
    assert TOTPDevice.objects.filter(user=user, confirmed=True).count() == 2
    assert set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True)) == old
    assert changes == [("totp", "added")]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("abcdef", "Enter the 6-digit code your authenticator app shows."),
        ("1" * 500, "That is too long to be a code."),
        ("", "Enter the code."),
    ],
)
def test_bad_setup_codes_are_a_400_with_a_message(signed_in, user, token, message):
    signed_in.get(SETUP)
    response = signed_in.post(SETUP, {"token": token})
    assert response.status_code == 400
    assert message in response.content.decode()
    device = pending_device(user)
    assert device.throttling_failure_count == 0


@pytest.mark.django_db
def test_setup_codes_are_throttled(signed_in, user, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 60
    signed_in.get(SETUP)
    device = pending_device(user)
    signed_in.post(SETUP, {"token": wrong_code(device)})
    response = signed_in.post(SETUP, {"token": totp_code(device)})
    assert response.status_code == 429
    assert "Too many failed attempts." in response.content.decode()
    assert not TOTPDevice.objects.get(pk=device.pk).confirmed


@pytest.mark.django_db
def test_an_app_added_here_is_asked_for_at_the_next_risky_sign_in(
    signed_in, user, password, connect_receiver
):
    signed_in.get(SETUP)
    device = pending_device(user)
    signed_in.post(SETUP, {"token": totp_code(device)})
    signed_in.post(reverse("account_logout"))

    connect_receiver(signals.risk_check_requested, lambda sender, **kw: Verdict.step_up())
    response = signed_in.post(reverse("account_login"), {"login": "alice", "password": password})
    assert response["Location"] == reverse("ciam:step_up")
    done = signed_in.post(reverse("ciam:step_up"), {"token": totp_code(device)})
    assert done["Location"] == SECURITY
    assert signed_in.get(SECURITY).wsgi_request.user.is_verified()


@pytest.mark.django_db
def test_new_backup_codes_replace_the_old_ones(signed_in, user, totp, changes):
    old = regenerate_backup_codes(user)
    StaticToken.objects.filter(token=old[0]).delete()  # one was used

    page = signed_in.get(BACKUP_CODES)
    assert page.status_code == 200
    assert page.context["remaining"] == 9
    assert page.context["codes"] == []

    response = signed_in.post(BACKUP_CODES)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    codes = response.context["codes"]
    assert len(codes) == 10
    assert response.context["remaining"] == 10
    tokens = set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assert tokens == set(codes)
    assert not tokens & set(old)
    assert StaticDevice.objects.filter(user=user).count() == 1
    assert changes == [("backup_codes", "added")]


@pytest.mark.django_db
def test_account_security_counts_the_backup_codes_left(signed_in, user, totp):
    def backup_codes_row() -> str:
        page = signed_in.get(SECURITY).content.decode()
        return " ".join(page.split('<div class="ciam-row-title">Backup codes')[1][:900].split())

    assert "Generate codes" in backup_codes_row()
    codes = regenerate_backup_codes(user)
    assert "10 codes left" in backup_codes_row()
    StaticToken.objects.filter(token__in=codes[:8]).delete()  # used
    assert "2 codes left" in backup_codes_row() and "Running low" in backup_codes_row()
    StaticToken.objects.filter(device__user=user).delete()
    row = backup_codes_row()
    assert "0 codes left" in row and "Manage" in row and "Generate codes" not in row


@pytest.mark.django_db
def test_backup_codes_need_an_app(signed_in, user, changes):
    response = signed_in.post(BACKUP_CODES)
    assert response.status_code == 400
    assert "Add an authenticator app first" in response.content.decode()
    assert not StaticDevice.objects.filter(user=user).exists()
    assert changes == []


@pytest.mark.django_db
def test_new_backup_codes_need_the_password_again(client, user, password, totp):
    old = set(regenerate_backup_codes(user))
    client.post(reverse("account_login"), {"login": "alice", "password": password})
    # Looking at the count is fine; making new codes is not, without the password.
    assert client.get(BACKUP_CODES).status_code == 200
    response = client.post(BACKUP_CODES)
    assert response.status_code == 302
    assert response["Location"].startswith(REAUTHENTICATE)
    assert set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True)) == old

    # allauth replays the suspended POST once the password is entered.
    replayed = client.post(response["Location"], {"password": password})
    assert replayed.status_code == 200
    assert len(replayed.context["codes"]) == 10
    assert not set(replayed.context["codes"]) & old


@pytest.mark.django_db
def test_removing_the_last_app_removes_the_backup_codes(signed_in, user, totp, changes):
    regenerate_backup_codes(user)
    response = signed_in.post(remove_url(totp))
    assert response.status_code == 302
    assert response["Location"] == SECURITY
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert not StaticDevice.objects.filter(user=user).exists()
    assert changes == [("totp", "removed"), ("backup_codes", "removed")]
    assert "backup codes were removed" in signed_in.get(SECURITY).content.decode()


@pytest.mark.django_db
def test_removing_one_of_two_apps_keeps_the_backup_codes(signed_in, user, totp, changes):
    TOTPDevice.objects.create(user=user, name="tablet", confirmed=True)
    regenerate_backup_codes(user)
    signed_in.post(remove_url(totp))
    assert list(TOTPDevice.objects.filter(user=user).values_list("name", flat=True)) == ["tablet"]
    assert StaticToken.objects.filter(device__user=user).count() == 10
    assert changes == [("totp", "removed")]


@pytest.mark.django_db
def test_removal_is_post_only_and_never_reaches_another_users_device(
    signed_in, make_user, totp, changes
):
    theirs = TOTPDevice.objects.create(user=make_user("bob"), name="bob's", confirmed=True)
    assert signed_in.get(remove_url(totp)).status_code == 405
    assert signed_in.post(remove_url(theirs)).status_code == 404
    assert signed_in.post(reverse("ciam:totp_remove", args=[10**30])).status_code == 404
    assert TOTPDevice.objects.filter(pk__in=[totp.pk, theirs.pk]).count() == 2
    assert changes == []


@pytest.mark.django_db
def test_removal_needs_the_password_again(client, user, password, totp):
    client.post(reverse("account_login"), {"login": "alice", "password": password})
    response = client.post(remove_url(totp))
    assert response.status_code == 302
    assert response["Location"].startswith(REAUTHENTICATE)
    assert TOTPDevice.objects.filter(pk=totp.pk).exists()


@pytest.mark.django_db
def test_reauthentication_expires(signed_in, user, totp, settings):
    settings.ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
    session = signed_in.session
    records = session["account_authentication_methods"]
    for record in records:
        record["at"] -= timedelta(minutes=6).total_seconds()
    session["account_authentication_methods"] = records
    session.save()
    response = signed_in.post(remove_url(totp))
    assert response["Location"].startswith(REAUTHENTICATE)
    assert TOTPDevice.objects.filter(pk=totp.pk).exists()


@pytest.mark.django_db
def test_management_posts_are_csrf_protected(user, password, totp):
    client = Client(enforce_csrf_checks=True)
    client.get(reverse("account_login"))
    token = client.cookies["csrftoken"].value
    client.post(
        reverse("account_login"),
        {"login": "alice", "password": password, "csrfmiddlewaretoken": token},
    )
    client.post(REAUTHENTICATE, {"password": password, "csrfmiddlewaretoken": token})
    assert client.post(remove_url(totp)).status_code == 403
    assert client.post(BACKUP_CODES).status_code == 403
    assert TOTPDevice.objects.filter(pk=totp.pk).exists()
    assert not StaticDevice.objects.filter(user=user).exists()
