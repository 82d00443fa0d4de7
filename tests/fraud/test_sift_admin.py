"""The "Fraud detection (Sift)" admin: secrets encrypted, masked, never echoed; validation; the
Test connection button against the fake Sift; the deliveries list and its retry action."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.db import connection

from fraud.sift.models import SiftDecision, SiftOutbox, SiftSettings
from tests.fraud.sift_support import (  # noqa: F401
    celery_eager_fixture,
    closed_port,
    sift_fixture,
    sift_server_fixture,
)

pytestmark = pytest.mark.django_db

CHANGE = "/admin/ciam_fraud/siftsettings/1/change/"
WEBHOOK_KEY = "whsec-live-abcdef-9876"


@pytest.fixture
def saved(sift):
    """A saved key and webhook key (the fake's key is the one Sift accepts)."""
    return sift.configure(webhook_key=WEBHOOK_KEY, account_id="acct-5550001")


def form_data(admin_client, **changes) -> dict:
    """What the browser would post back: the form's current values, then ``changes``."""
    form = admin_client.get(CHANGE).context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = value
    data.update(changes)
    return {k: v for k, v in data.items() if v is not False}


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_list_opens_the_one_settings_page(admin_client, saved):
    response = admin_client.get("/admin/ciam_fraud/siftsettings/")
    assert response.status_code == 302 and response["Location"] == CHANGE


def test_secrets_are_masked_and_never_in_the_form(admin_client, saved, sift):
    html = admin_client.get(CHANGE).content.decode()
    for secret in (sift.server.api_key, WEBHOOK_KEY, "acct-5550001"):
        assert secret not in html
        assert secret[: len(secret) // 2] not in html
    assert "••••••••cdef" in html  # the API key's last 4
    assert "••••••••9876" in html
    assert 'type="password"' in html
    assert "/fraud/sift/webhook/" in html  # where to point Sift's webhooks


def test_secrets_are_encrypted_at_rest(saved, sift):
    with connection.cursor() as cursor:
        cursor.execute("SELECT api_key, webhook_key FROM ciam_fraud_siftsettings")
        stored = cursor.fetchone()
    assert all(value.startswith("fernet:") for value in stored)
    assert sift.server.api_key not in stored[0] and WEBHOOK_KEY not in stored[1]


def test_leaving_a_secret_blank_keeps_it(admin_client, saved, sift):
    response = admin_client.post(CHANGE, form_data(admin_client, publish_logins="on"))
    assert response.status_code == 302
    settings = SiftSettings.load()
    assert settings.api_key == sift.server.api_key
    assert settings.webhook_key == WEBHOOK_KEY
    assert settings.publish_logins


def test_a_new_secret_replaces_it_and_clear_removes_it(admin_client, saved):
    admin_client.post(CHANGE, form_data(admin_client, api_key="brand-new-key-1234"))
    assert SiftSettings.load().api_key == "brand-new-key-1234"
    admin_client.post(CHANGE, form_data(admin_client, clear_webhook_key="on"))
    settings = SiftSettings.load()
    assert settings.webhook_key == "" and settings.api_key == "brand-new-key-1234"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"deny_threshold": "0.4", "step_up_threshold": "0.6"}, "step_up_threshold"),
        ({"deny_threshold": "1.5"}, "deny_threshold"),
        ({"deny_decision_ids": "bad id!"}, "deny_decision_ids"),
        ({"step_up_decision_ids": "session_looks_bad_account_takeover"}, "step_up_decision_ids"),
        ({"read_timeout": "0"}, "read_timeout"),
    ],
)
def test_invalid_settings_are_a_clear_form_error(admin_client, saved, changes, field):
    response = admin_client.post(CHANGE, form_data(admin_client, **changes))
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors


def test_every_field_says_its_default(admin_client, saved):
    form = admin_client.get(CHANGE).context["adminform"].form
    for name, field in form.fields.items():
        if not name.startswith("clear_"):
            assert "Default" in str(field.help_text), name


# -- Test connection -----------------------------------------------------------------------


def press_test_connection(admin_client, **changes):
    """The "Save and test connection" button."""
    data = {**form_data(admin_client, **changes), "_test_connection": "1"}
    return admin_client.post(CHANGE, data)


def test_test_connection_reports_success(admin_client, saved, sift):
    response = press_test_connection(admin_client)
    assert response.status_code == 302 and response["Location"] == CHANGE
    assert messages_of(response) == ["Connected to Sift: the API key was accepted."]
    (received,) = sift.server.received
    assert received.method == "GET"  # a harmless read, no event sent


def test_test_connection_reports_an_invalid_key(admin_client, saved, sift):
    response = press_test_connection(admin_client, api_key="wrong-key-00001111")
    (message,) = messages_of(response)
    assert "refused the API key (status 51: invalid API key)" in message
    assert "wrong-key" not in message


def test_test_connection_reports_a_network_failure(admin_client, saved, settings):
    settings.CIAM_SIFT_API_URL = f"http://127.0.0.1:{closed_port()}"
    (message,) = messages_of(press_test_connection(admin_client))
    assert message.startswith("Could not reach Sift at http://127.0.0.1:")


def test_test_connection_without_a_key(admin_client, sift):
    sift.configure(api_key="")
    (message,) = messages_of(press_test_connection(admin_client))
    assert message == "Save a Sift API key first, then test the connection."


# -- deliveries and decisions ----------------------------------------------------------------


@pytest.fixture
def failed_row(user):
    payload = {
        "$type": "$login",
        "$user_id": "a" * 64,
        "$time": 1_700_000_000_000,
        "$login_status": "$success",
        "$user_email": "alice@example.com",
        "$ip": "203.0.113.9",
    }
    return SiftOutbox.objects.create(
        event_type="$login",
        payload=payload,
        status="failed",
        last_error="Sift status -1",
        user=user,
    )


def test_deliveries_list_filters_and_shows_the_payload_masked(admin_client, failed_row):
    listing = admin_client.get("/admin/ciam_fraud/siftoutbox/?status__exact=failed")
    assert listing.status_code == 200 and "Sift status -1" in listing.content.decode()
    assert admin_client.get("/admin/ciam_fraud/siftoutbox/?status__exact=sent").status_code == 200
    detail = admin_client.get(f"/admin/ciam_fraud/siftoutbox/{failed_row.pk}/change/")
    html = detail.content.decode()
    assert "ali**@example.com" in html and "203.0.*.*" in html
    assert "alice@example.com" not in html and "203.0.113.9" not in html


def test_retry_action_delivers_failed_rows(
    admin_client, saved, sift, failed_row, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/ciam_fraud/siftoutbox/",
            {"action": "retry_delivery", "_selected_action": [failed_row.pk]},
        )
    assert response.status_code == 302
    failed_row.refresh_from_db()
    assert failed_row.status == "sent"
    assert sift.events("$login")[0]["$time"] == 1_700_000_000_000


def test_decisions_list_loads(admin_client, user):
    SiftDecision.objects.create(
        decision_id="looks_bad", entity_type="user", entity_id="x", user=user
    )
    assert admin_client.get("/admin/ciam_fraud/siftdecision/").status_code == 200
