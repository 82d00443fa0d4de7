"""The admin as one console: grouped by what an administrator looks for; signing in to it goes
through the hosted login and its protections; with the setting on, staff need a verified
second factor."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from ciam.admin_console.site import ConsoleAdminSite
from ciam.models import LoginSettings
from fraud.events.models import EventType, SecurityEvent
from fraud.protection.models import AttackProtectionSettings

from .conftest import LOGIN

pytestmark = pytest.mark.django_db

INDEX = reverse("admin:index")
ADMIN_LOGIN = reverse("admin:login")
VERIFY = reverse("admin:console_verify")
SECTIONS = [
    "Fraud detection (Sift)",
    "Attack protection",
    "Login policies",
    "Security events",
    "Sift deliveries",
    "Blocks and throttles",
    "Notifications",
    "Passkeys and MFA devices",
]


def test_the_reference_site_runs_the_console():
    assert isinstance(admin.site, ConsoleAdminSite)


def test_the_index_is_grouped_for_an_administrator(admin_client):
    app_list = admin_client.get(INDEX).context["app_list"]
    names = [app["name"] for app in app_list]
    assert names[: len(SECTIONS)] == SECTIONS
    groups = {app["name"]: [m["name"] for m in app["models"]] for app in app_list}
    assert groups["Attack protection"] == [
        "Bot detection, brute force, IP throttling, breached passwords"
    ]
    assert groups["Security events"] == [
        "Security events",
        "Security Center",
        "Event log retention",
    ]
    assert groups["Blocks and throttles"] == ["Brute-force blocks", "Throttled IPs"]
    assert "TOTP devices" in groups["Passkeys and MFA devices"]
    assert groups["Login policies"][0] == "Login policies"
    # Nothing of the suite is left under its app's name; the site's own apps stay.
    assert "Fraud detection" not in names
    assert "Authentication and Authorization" in names


def test_a_section_has_its_own_page(admin_client):
    url = reverse("admin:console_section", args=["blocks-and-throttles"])
    response = admin_client.get(url)
    assert response.status_code == 200
    assert [a["name"] for a in response.context["app_list"]] == ["Blocks and throttles"]
    assert admin_client.get(reverse("admin:console_section", args=["nope"])).status_code == 404
    assert f'href="{url}"' in admin_client.get(INDEX).content.decode()


def test_an_app_index_lists_its_sections(admin_client):
    response = admin_client.get(reverse("admin:app_list", args=["ciam_fraud"]))
    assert response.status_code == 200
    names = [a["name"] for a in response.context["app_list"]]
    assert names == [s for s in SECTIONS if s not in ("Notifications", "Passkeys and MFA devices")]


def test_staff_without_permissions_see_none_of_it(client, make_user):
    clerk = make_user("clerk", is_staff=True)
    client.force_login(clerk)
    response = client.get(INDEX)
    assert response.status_code == 200
    assert response.context["app_list"] == []
    for name in ("ciam_fraud_securityevent_changelist", "ciam_fraud_risksettings_changelist"):
        assert client.get(reverse(f"admin:{name}")).status_code == 403
    section = reverse("admin:console_section", args=["security-events"])
    assert client.get(section).status_code == 404


# --- Signing in -----------------------------------------------------------------------------


def test_the_admin_login_page_sends_visitors_to_the_hosted_login(client):
    response = client.get(INDEX)
    assert response.status_code == 302
    assert response["Location"] == f"{ADMIN_LOGIN}?next={INDEX}"
    response = client.get(response["Location"])
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={INDEX}"


def test_a_password_posted_to_the_admin_login_is_never_checked(client, make_user, password):
    make_user("root", is_staff=True, is_superuser=True)
    response = client.post(ADMIN_LOGIN, {"username": "root", "password": password})
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert client.get(INDEX).status_code == 302  # not signed in


def test_next_must_stay_on_the_site(client):
    response = client.get(ADMIN_LOGIN, {"next": "https://evil.example/"})
    assert response["Location"] == f"{LOGIN}?next={INDEX}"


def test_staff_sign_in_through_the_hosted_login_and_land_in_the_admin(client, make_user, sign_in):
    make_user("root", is_staff=True, is_superuser=True)
    response = client.post(
        f"{LOGIN}?next={INDEX}",
        {"login": "root", "password": "correct horse battery staple 42", "next": INDEX},
        REMOTE_ADDR="198.51.100.20",
    )
    assert response.status_code == 302 and response["Location"] == INDEX
    assert client.get(INDEX).status_code == 200
    # The admin's sign-in is in the security event log like any other.
    assert SecurityEvent.objects.filter(type=EventType.LOGIN_SUCCEEDED, user__username="root")


def test_changing_ones_password_is_the_hosted_page(admin_client):
    response = admin_client.get(reverse("admin:password_change"))
    assert response["Location"] == reverse("account_change_password")


def test_a_signed_in_user_who_is_not_staff_gets_a_403(client, user):
    client.force_login(user)
    assert client.get(INDEX)["Location"] == f"{ADMIN_LOGIN}?next={INDEX}"
    response = client.get(ADMIN_LOGIN)
    assert response.status_code == 403
    assert "cannot use the administration" in response.content.decode()


def test_the_admin_login_is_throttled_like_the_hosted_login(client, make_user, sign_in):
    """The only form that checks an admin's password is the hosted one: brute force blocks it
    like any other account."""
    make_user("root", is_staff=True, is_superuser=True)
    protection = AttackProtectionSettings.load()
    protection.brute_force_threshold = 3
    protection.save()
    for _ in range(3):
        response = sign_in(client, "198.51.100.21", identifier="root", secret="wrong")
        assert response.status_code == 400
    response = sign_in(client, "198.51.100.21", identifier="root")  # the right password now
    assert response.status_code == 429
    assert client.get(INDEX).status_code == 302
    assert SecurityEvent.objects.filter(type=EventType.BRUTE_FORCE_BLOCK).exists()


# --- Second factor --------------------------------------------------------------------------


@pytest.fixture
def second_factor_required(db):
    LoginSettings.objects.update_or_create(pk=1, defaults={"admin_requires_second_factor": True})
    LoginSettings.clear_cache()


@pytest.fixture
def staff(make_user, settings):
    # django-otp locks a device for a second after a wrong code: not what is tested here.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    return make_user("root", is_staff=True, is_superuser=True)


def totp_code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def test_with_the_setting_on_an_unverified_staff_session_is_asked_for_a_code(
    client, staff, second_factor_required
):
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    client.force_login(staff)
    response = client.get(INDEX)
    assert response["Location"] == f"{ADMIN_LOGIN}?next={INDEX}"
    response = client.get(response["Location"])
    assert response["Location"] == f"{VERIFY}?next={INDEX}"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "Enter the code from your authenticator app" in page.content.decode()
    wrong = client.post(f"{VERIFY}?next={INDEX}", {"token": "000000"})
    assert wrong.status_code == 400
    assert "That code is not valid" in wrong.content.decode()
    ok = client.post(f"{VERIFY}?next={INDEX}", {"token": totp_code(device)})
    assert ok.status_code == 302 and ok["Location"] == INDEX
    assert client.get(INDEX).status_code == 200
    results = SecurityEvent.objects.filter(user=staff, type__startswith="step_up_")
    assert sorted(results.values_list("type", flat=True)) == ["step_up_failed", "step_up_passed"]


def test_a_backup_code_works_too(client, staff, second_factor_required):
    device = StaticDevice.objects.create(user=staff, name="backup", confirmed=True)
    device.token_set.create(token="abcd2345efgh")
    client.force_login(staff)
    response = client.post(VERIFY, {"token": "abcd-2345-efgh"})
    assert response.status_code == 302
    assert client.get(INDEX).status_code == 200


def test_staff_without_a_second_factor_are_sent_to_set_one_up(
    client, staff, second_factor_required
):
    client.force_login(staff)
    page = client.get(VERIFY)
    assert page.status_code == 200
    assert reverse("ciam:totp_setup") in page.content.decode()
    assert client.get(INDEX).status_code == 302


def test_the_verify_page_is_for_signed_in_staff(client, user, second_factor_required):
    assert client.get(VERIFY)["Location"].startswith(LOGIN)
    client.force_login(user)
    assert client.get(VERIFY).status_code == 403


def test_the_verify_form_needs_its_csrf_token_even_without_the_middleware(staff, settings):
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.endswith("CsrfViewMiddleware")]
    TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    assert client.post(VERIFY, {"token": "000000"}).status_code == 403
    page = client.get(VERIFY)
    token = page.context["csrf_token"]
    assert client.post(VERIFY, {"token": "000000", "csrfmiddlewaretoken": token}).status_code == 400


def test_with_the_setting_off_no_code_is_asked(client, staff):
    client.force_login(staff)
    assert client.get(INDEX).status_code == 200
    assert client.get(VERIFY).status_code == 200  # it can still be verified, before turning on


def test_turning_it_on_needs_a_verified_session_first(client, staff):
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    client.force_login(staff)
    url = reverse("admin:ciam_loginsettings_change", args=[LoginSettings.load().pk])
    data = {
        "step_up_fallback": "deny",
        "step_up_remember_hours": "12",
        "deny_status": "403",
        "deny_title": "Login Restricted",
        "deny_message": "Your login attempt was identified as suspicious.",
        "admin_requires_second_factor": "on",
    }
    refused = client.post(url, data)
    assert refused.status_code == 200
    assert "Verify a second factor in this session first" in refused.content.decode()
    assert not LoginSettings.load().admin_requires_second_factor
    client.post(VERIFY, {"token": totp_code(device)})
    assert client.post(url, data).status_code == 302
    LoginSettings.clear_cache()
    assert LoginSettings.load().admin_requires_second_factor
    assert client.get(INDEX).status_code == 200  # this session is verified


def test_a_new_client_stays_out(staff, second_factor_required):
    other = Client()
    other.force_login(staff)
    assert other.get(INDEX).status_code == 302
