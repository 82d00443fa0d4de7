"""Attack protection in the admin: the settings page (defaults, validation, the CAPTCHA secret
never shown), the blocks list and its unblock action, and the fraud.W020 check."""

from __future__ import annotations

from pathlib import Path

import allauth
import pytest
from django.core.checks import run_checks
from django.db import connection
from django.test import Client
from django.urls import reverse

from fraud.events.models import EventType, SecurityEvent
from fraud.protection.models import AttackProtectionSettings, BruteForceBlock
from tests.fraud.protection_support import LOGIN, browser, protect_fixture  # noqa: F401

pytestmark = pytest.mark.django_db

ATTACKER = "198.51.100.7"
ROOT = Path(__file__).resolve().parents[2]


def settings_url(admin_client) -> str:
    response = admin_client.get(reverse("admin:ciam_fraud_attackprotectionsettings_changelist"))
    assert response.status_code == 302
    return response["Location"]


def form_data(admin_client, url) -> dict:
    form = admin_client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    return {k: ("on" if v is True else v) for k, v in data.items() if v is not False}


def test_every_setting_says_its_default(admin_client):
    body = admin_client.get(settings_url(admin_client)).content.decode()
    for text in [
        "Default: Never.",
        "Default: Medium.",
        "Default: built-in proof of work.",
        "Default: 10.",
        "Default: 100.",
        "Default: 15.",
        "Default: 50.",
        "Default: off.",
        "Default: empty (off).",
        "Default: closed for Always, open for When risky.",
    ]:
        assert text in body, text
    assert "never a CAPTCHA, never blocked, never throttled" in body


def test_the_threshold_is_validated(admin_client):
    url = settings_url(admin_client)
    data = form_data(admin_client, url)
    data["brute_force_threshold"] = "101"
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "less than or equal to 100" in response.content.decode()
    data["brute_force_threshold"] = "25"
    assert admin_client.post(url, data).status_code == 302
    assert AttackProtectionSettings.load().brute_force_threshold == 25


def test_a_provider_needs_its_keys_and_the_secret_is_never_shown(admin_client):
    url = settings_url(admin_client)
    data = form_data(admin_client, url)
    data["captcha_provider"] = "turnstile"
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "This provider needs a site key." in response.content.decode()
    assert "This provider needs a secret key." in response.content.decode()

    data.update(captcha_site_key="0x4AAAAAAA", captcha_secret="0x4AAAA-top-secret-9876")
    assert admin_client.post(url, data).status_code == 302
    assert AttackProtectionSettings.load().captcha_secret == "0x4AAAA-top-secret-9876"
    with connection.cursor() as cursor:
        cursor.execute("SELECT captcha_secret FROM ciam_fraud_attackprotectionsettings")
        stored = cursor.fetchone()[0]
    assert "top-secret" not in stored
    page = admin_client.get(url).content.decode()
    assert "top-secret" not in page and "••••••••9876" in page

    data.pop("captcha_secret")  # left blank: kept
    assert admin_client.post(url, data).status_code == 302
    assert AttackProtectionSettings.load().captcha_secret == "0x4AAAA-top-secret-9876"


def test_the_blocks_list_and_its_unblock_action(admin_client, admin_user, user, password):
    for _ in range(10):
        browser(ATTACKER).post(LOGIN, {"login": "alice", "password": "wrong"})
    block = BruteForceBlock.objects.get()
    changelist = reverse("admin:ciam_fraud_bruteforceblock_changelist")
    page = admin_client.get(changelist + "?status=active").content.decode()
    assert ATTACKER in page and "In force" in page
    assert admin_client.get(changelist + "?q=alice").context["cl"].result_count == 1
    assert admin_client.get(changelist + f"?q={ATTACKER}").context["cl"].result_count == 1

    response = admin_client.post(
        changelist, {"action": "unblock", "_selected_action": [block.pk]}, follow=True
    )
    assert "1 block lifted." in response.content.decode()
    block.refresh_from_db()
    assert block.release_reason == "admin" and block.released_by == admin_user
    event = SecurityEvent.objects.get(type=EventType.UNBLOCKED)
    assert event.ip == ATTACKER and event.data["by"] == admin_user.get_username()
    assert (
        browser(ATTACKER).post(LOGIN, {"login": "alice", "password": password}).status_code == 302
    )


def test_a_site_without_fraud_urls_is_warned(settings):
    settings.ROOT_URLCONF = "ciam.urls"
    ids = [message.id for message in run_checks(tags=["urls"])]
    assert "fraud.W020" in ids


def test_ciam_pages_work_without_the_fraud_templates(settings, protect):
    # ciam includes fraud's form fields only when an installed app provides the template.
    protect(captcha_login="always")
    engine = settings.TEMPLATES[0]
    settings.TEMPLATES = [
        {
            **engine,
            "APP_DIRS": False,
            "DIRS": [ROOT / "ciam" / "templates", Path(allauth.__file__).parent / "templates"],
        }
    ]
    response = Client().get(LOGIN)
    assert response.status_code == 200
    assert "ciam-login-form" in response.content.decode()
    assert "ciam_form_token" not in response.content.decode()
