"""Every change to the suite's settings made in the admin is in the security event log: who,
which field, old and new value, secrets masked."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from fraud.events.models import EventType, SecurityEvent
from fraud.protection.models import AttackProtectionSettings
from fraud.risk.models import IPRule, LoginPolicy
from fraud.sift.models import SiftSettings

from .console_support import form_data

pytestmark = pytest.mark.django_db


def changes_logged() -> list[SecurityEvent]:
    return list(SecurityEvent.objects.filter(type=EventType.SETTINGS_CHANGED).order_by("pk"))


def by_field(event: SecurityEvent) -> dict[str, dict]:
    return {c["field"]: c for c in event.data["changes"]}


def settings_form(admin_client, name: str):
    page = admin_client.get(reverse(f"admin:ciam_fraud_{name}_changelist"), follow=True)
    return page.request["PATH_INFO"], form_data(page)


def test_a_settings_change_says_who_what_before_and_after(admin_client, admin_user):
    url, data = settings_form(admin_client, "risksettings")
    data.update(new_device_weight="0.4", new_device_days="45")
    data.pop("bot_enabled")
    assert admin_client.post(url, data).status_code == 302
    (logged,) = changes_logged()
    assert logged.user == admin_user
    assert logged.data["by"] == "admin"
    assert logged.data["model"] == "ciam_fraud.risksettings"
    assert logged.data["action"] == "changed"
    assert by_field(logged) == {
        "new_device_weight": {
            "field": "new_device_weight",
            "label": "new device weight",
            "old": 0.25,
            "new": 0.4,
        },
        "new_device_days": {
            "field": "new_device_days",
            "label": "a device is new after (days)",
            "old": 30,
            "new": 45,
        },
        "bot_enabled": {"field": "bot_enabled", "label": "bot score", "old": True, "new": False},
    }


def test_saving_without_a_change_logs_nothing(admin_client):
    url, data = settings_form(admin_client, "eventlogsettings")
    assert admin_client.post(url, data).status_code == 302
    assert changes_logged() == []


def test_sift_keys_are_masked(admin_client):
    url, data = settings_form(admin_client, "siftsettings")
    data.update(api_key="sk_live_first_key_1234", webhook_key="whsec_abcdefgh5678")
    assert admin_client.post(url, data).status_code == 302
    data.update(api_key="sk_live_other_key_9999", webhook_key="")
    assert admin_client.post(url, data).status_code == 302
    first, second = changes_logged()
    assert by_field(first)["api_key"]["old"] == ""
    assert by_field(first)["api_key"]["new"] == "••••••••1234"
    assert by_field(second)["api_key"] == {
        "field": "api_key",
        "label": "Sift API key",
        "old": "••••••••1234",
        "new": "••••••••9999",
    }
    assert "webhook_key" not in by_field(second)  # left blank: kept
    stored = json.dumps([e.data for e in changes_logged()])
    for secret in ("sk_live_first_key_1234", "sk_live_other_key_9999", "whsec_abcdefgh5678"):
        assert secret not in stored
    assert SiftSettings.load().api_key == "sk_live_other_key_9999"


def test_the_captcha_secret_is_masked(admin_client):
    url, data = settings_form(admin_client, "attackprotectionsettings")
    data.update(
        captcha_provider="turnstile", captcha_site_key="0x4AAA", captcha_secret="0x4BBBsecret77"
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    (logged,) = changes_logged()
    changes = by_field(logged)
    assert changes["captcha_secret"]["new"] == "••••••••et77"
    assert changes["captcha_provider"] == {
        "field": "captcha_provider",
        "label": "CAPTCHA provider",
        "old": "pow",
        "new": "turnstile",
    }
    assert "0x4BBBsecret77" not in json.dumps(logged.data)
    assert AttackProtectionSettings.load().captcha_secret == "0x4BBBsecret77"


def test_ip_rules_and_policies_added_changed_deleted(admin_client):
    add = reverse("admin:ciam_fraud_iprule_add")
    assert admin_client.post(add, {"network": "10.1.2.3/8", "action": "allow"}).status_code == 302
    rule = IPRule.objects.get()
    delete = reverse("admin:ciam_fraud_iprule_delete", args=[rule.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 302
    policy = LoginPolicy.objects.create(name="Night")
    changelist = reverse("admin:ciam_fraud_loginpolicy_changelist")
    response = admin_client.post(
        changelist, {"action": "delete_selected", "_selected_action": [policy.pk], "post": "yes"}
    )
    assert response.status_code == 302
    added, deleted, policy_deleted = changes_logged()
    assert added.data["action"] == "added"
    assert by_field(added)["network"] == {
        "field": "network",
        "label": "IP or CIDR range",
        "old": None,
        "new": "10.0.0.0/8",
    }
    assert deleted.data["action"] == "deleted"
    assert by_field(deleted)["network"]["old"] == "10.0.0.0/8"
    assert policy_deleted.data["object"] == "Night"
    assert policy_deleted.reason == "login policy deleted"


def test_notification_and_passkey_settings_are_logged_too(admin_client):
    page = admin_client.get(
        reverse("admin:ciam_notifications_notificationsettings_changelist"), follow=True
    )
    data = form_data(page)
    data.pop("on_new_device")
    assert admin_client.post(page.request["PATH_INFO"], data).status_code == 302
    page = admin_client.get(reverse("admin:ciam_passkeys_passkeysettings_changelist"), follow=True)
    data = form_data(page)
    data["challenge_timeout"] = "120"
    assert admin_client.post(page.request["PATH_INFO"], data).status_code == 302
    notifications, passkeys = changes_logged()
    assert by_field(notifications)["on_new_device"]["new"] is False
    assert by_field(passkeys)["challenge_timeout"] == {
        "field": "challenge_timeout",
        "label": "challenge timeout (seconds)",
        "old": 300,
        "new": 120,
    }


def test_the_change_is_shown_in_the_event_list(admin_client):
    url, data = settings_form(admin_client, "eventlogsettings")
    data["retention_days"] = "30"
    admin_client.post(url, data)
    (logged,) = changes_logged()
    page = admin_client.get(reverse("admin:ciam_fraud_securityevent_change", args=[logged.pk]))
    body = page.content.decode()
    assert "Settings changed" in body and "retention_days" in body
