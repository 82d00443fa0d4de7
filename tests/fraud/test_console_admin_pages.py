"""Every admin page of the suite: it loads, its filters and search work for a superuser; a
staff member without permissions sees none of it. Every settings page explains each field,
shows its default and refuses bad values with a form error."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from ciam.singleton import SingletonModel
from fraud.events.models import SecurityEvent
from fraud.protection.models import BruteForceBlock, ThrottleState
from fraud.risk.models import IPRule, LoginPolicy
from fraud.sift.models import SiftDecision, SiftOutbox
from notifications.models import Notification
from passkeys.models import Passkey

from .console_support import form_data

pytestmark = pytest.mark.django_db

SUITE_APPS = {"ciam", "ciam_fraud", "ciam_passkeys", "ciam_notifications"}
SUITE_MODELS = sorted(
    (m for m in admin.site._registry if m._meta.app_label in SUITE_APPS),
    key=lambda m: m._meta.label,
)
SETTINGS_MODELS = [m for m in SUITE_MODELS if issubclass(m, SingletonModel)] + [
    LoginPolicy,
    IPRule,
]


def url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def one_of_each(user):
    """A row of every model of the suite that has rows."""
    now = timezone.now()
    return {
        SecurityEvent: SecurityEvent.objects.create(
            type="login_failed", ip="203.0.113.9", identifier_hash="a" * 64
        ),
        BruteForceBlock: BruteForceBlock.objects.create(
            identifier_hash="a" * 64, ip="203.0.113.9", user=user, failures=10
        ),
        ThrottleState: ThrottleState.objects.create(ip="203.0.113.9", kind="login"),
        SiftOutbox: SiftOutbox.objects.create(
            event_type="$login", payload={"$user_email": "alice@example.com"}, status="failed"
        ),
        SiftDecision: SiftDecision.objects.create(
            decision_id="mfa_account_takeover", entity_type="user", entity_id="1", user=user
        ),
        IPRule: IPRule.objects.create(network="198.51.100.0/24", action="deny", note="bots"),
        LoginPolicy: LoginPolicy.objects.create(name="Night"),
        Notification: Notification.objects.create(
            kind="suspicious_sign_in",
            user=user,
            recipient="alice@example.com",
            idempotency_key="k1",
        ),
        Passkey: Passkey.objects.create(
            user=user,
            credential_id="cred-1",
            public_key=b"\x01",
            name="Laptop",
            last_used_at=now - timedelta(days=1),
        ),
    }


def test_the_suite_models_in_the_admin_are_the_expected_ones():
    labels = {m._meta.label_lower for m in SUITE_MODELS}
    assert labels >= {
        "ciam.loginsettings",
        "ciam_fraud.securityevent",
        "ciam_fraud.eventlogsettings",
        "ciam_fraud.loginpolicy",
        "ciam_fraud.risksettings",
        "ciam_fraud.iprule",
        "ciam_fraud.attackprotectionsettings",
        "ciam_fraud.bruteforceblock",
        "ciam_fraud.throttlestate",
        "ciam_fraud.siftsettings",
        "ciam_fraud.siftoutbox",
        "ciam_fraud.siftdecision",
        "ciam_passkeys.passkey",
        "ciam_passkeys.passkeysettings",
        "ciam_notifications.notificationsettings",
        "ciam_notifications.notification",
    }


@pytest.mark.parametrize("model", SUITE_MODELS, ids=lambda m: m._meta.label_lower)
def test_every_page_loads_filters_and_searches(admin_client, one_of_each, model):
    model_admin = admin.site._registry[model]
    response = admin_client.get(url(model, "changelist"), follow=True)
    assert response.status_code == 200, model
    if issubclass(model, SingletonModel):
        assert "adminform" in response.context  # the list opens the one row's form
        return
    cl = response.context["cl"]
    assert cl.result_count >= 1, "the fixture row is listed"
    # Every choice of every filter.
    queries = {
        choice["query_string"]
        for spec in cl.filter_specs
        for choice in spec.choices(cl)
        if choice.get("query_string")
    }
    for query in queries:
        assert admin_client.get(url(model, "changelist") + query).status_code == 200, query
    if model_admin.search_fields:
        for term in ("203.0.113.9", "alice@example.com", "nothing-matches", "'; --"):
            assert admin_client.get(url(model, "changelist"), {"q": term}).status_code == 200
    if model_admin.date_hierarchy:
        year = timezone.now().year
        field = model_admin.date_hierarchy
        assert (
            admin_client.get(url(model, "changelist"), {f"{field}__year": year}).status_code == 200
        )
    obj = one_of_each[model]
    assert admin_client.get(url(model, "change", obj.pk)).status_code == 200
    add = admin_client.get(url(model, "add"))
    assert add.status_code == (200 if model_admin.has_add_permission(add.wsgi_request) else 403)


@pytest.mark.parametrize("model", SUITE_MODELS, ids=lambda m: m._meta.label_lower)
def test_staff_without_permissions_are_refused(client, make_user, one_of_each, model):
    client.force_login(make_user("clerk", is_staff=True))
    assert client.get(url(model, "changelist")).status_code == 403
    assert client.get(url(model, "add")).status_code == 403
    obj = one_of_each.get(model) or model.load()
    assert client.get(url(model, "change", obj.pk)).status_code == 403


def test_staff_without_permissions_see_no_section(client, make_user):
    client.force_login(make_user("clerk", is_staff=True))
    assert client.get(reverse("admin:index")).context["app_list"] == []


# --- Settings pages ---------------------------------------------------------------------------


def _settings_fields(model):
    for field in model._meta.concrete_fields:
        if field.editable and not field.primary_key and not field.auto_created:
            yield field


@pytest.mark.parametrize("model", SETTINGS_MODELS, ids=lambda m: m._meta.label_lower)
def test_each_settings_field_explains_itself_and_its_default(model):
    for field in _settings_fields(model):
        text = str(field.help_text)
        assert text, f"{model._meta.label}.{field.name} has no help text"
        assert "\n" not in text
        if field.has_default() and model not in (IPRule,):
            assert "Default" in text, f"{model._meta.label}.{field.name}: {text}"


@pytest.mark.parametrize(
    "model",
    [m for m in SETTINGS_MODELS if issubclass(m, SingletonModel)],
    ids=lambda m: m._meta.label_lower,
)
def test_each_settings_page_shows_every_explanation(admin_client, model):
    page = admin_client.get(url(model, "changelist"), follow=True)
    body = page.content.decode()
    fields = list(_settings_fields(model))
    assert fields
    for field in fields:
        # The admin renders help texts as they are written (marked safe).
        assert str(field.help_text) in body, f"{model._meta.label}.{field.name}"


def _post_settings(admin_client, model, **changes):
    page = admin_client.get(url(model, "changelist"), follow=True)
    data = form_data(page)
    data.update(changes)
    return admin_client.post(page.request["PATH_INFO"], data)


@pytest.mark.parametrize(
    "label, changes, error",
    [
        (
            "ciam_fraud.siftsettings",
            {"policy": "workflow", "deny_decision_ids": "looks_bad\nnot a/decision"},
            "is not a Sift decision id",
        ),
        (
            "ciam_fraud.siftsettings",
            {"deny_threshold": "0.4", "step_up_threshold": "0.6"},
            "The step-up score must not be above the deny score",
        ),
        ("ciam_fraud.risksettings", {"new_device_weight": "1.5"}, "less than or equal to 1.0"),
        ("ciam_fraud.risksettings", {"failures_window_minutes": "0"}, "greater than or equal"),
        (
            "ciam_fraud.attackprotectionsettings",
            {"brute_force_threshold": "500"},
            "less than or equal to 100",
        ),
        ("ciam_fraud.eventlogsettings", {"retention_days": "0"}, "greater than or equal to 1"),
        (
            "ciam_notifications.notificationsettings",
            {"alert_addresses": "ops@example.com\nnot-an-address"},
            "Not an email address",
        ),
        ("ciam_passkeys.passkeysettings", {"challenge_timeout": "5"}, "30"),
        ("ciam.loginsettings", {"deny_status": "200"}, "greater than or equal to 400"),
        ("ciam.loginsettings", {"step_up_remember_hours": "9999"}, "less than or equal to 720"),
    ],
)
def test_a_bad_value_is_a_clear_form_error(admin_client, label, changes, error):
    model = next(m for m in SUITE_MODELS if m._meta.label_lower == label)
    response = _post_settings(admin_client, model, **changes)
    assert response.status_code == 200, "the form is shown again"
    body = response.content.decode()
    assert "errornote" in body and error in body


@pytest.mark.parametrize("network", ["10.0.0.0/33", "300.1.2.3", "not an ip", "10.0.0.0/8/8"])
def test_a_cidr_that_does_not_parse_is_a_form_error(admin_client, network):
    response = admin_client.post(url(IPRule, "add"), {"network": network, "action": "deny"})
    assert response.status_code == 200
    assert "Enter an IPv4 or IPv6 address or a CIDR range." in response.content.decode()
    assert not IPRule.objects.exists()


def test_a_policy_threshold_out_of_range_is_a_form_error(admin_client):
    response = admin_client.post(
        url(LoginPolicy, "add"),
        {"name": "Odd", "enabled": "on", "deny_above": "2", "step_up_above": "0.5"},
    )
    assert response.status_code == 200
    assert "less than or equal to 1.0" in response.content.decode()
