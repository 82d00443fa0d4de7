"""The security event log in the admin: read-only, filtered, searched; its retention setting."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ciam.device import hash_identifier
from fraud.events.models import EventLogSettings, SecurityEvent

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:ciam_fraud_securityevent_changelist")


@pytest.fixture
def events(user):
    return [
        SecurityEvent.objects.create(
            type="login_succeeded",
            user=user,
            ip="203.0.113.5",
            score=0.65,
            verdict="step_up",
            signals=[{"key": "new_device", "weight": 0.25, "explanation": "new device"}],
        ),
        SecurityEvent.objects.create(
            type="login_failed", ip="198.51.100.9", identifier_hash=hash_identifier("bob")
        ),
        SecurityEvent.objects.create(
            type="login_succeeded", user=user, ip="2001:db8::7", verdict="deny", enforced=False
        ),
    ]


def shown(response) -> set[int]:
    # admin_client's own sign-in is logged too; it is not what these tests look at.
    rows = response.context["cl"].result_list
    return {obj.pk for obj in rows if obj.user is None or obj.user.username != "admin"}


def test_the_list_filters(admin_client, events):
    first, failed, monitored = events
    assert shown(admin_client.get(CHANGELIST)) == {e.pk for e in events}
    assert shown(admin_client.get(CHANGELIST, {"type__exact": "login_failed"})) == {failed.pk}
    assert shown(admin_client.get(CHANGELIST, {"verdict__exact": "step_up"})) == {first.pk}
    assert shown(admin_client.get(CHANGELIST, {"enforced__exact": "0"})) == {monitored.pk}
    # The "Past 7 days" link of the date filter.
    week = admin_client.get(CHANGELIST, {"created_at__gte": "2000-01-01 00:00:00+00:00"})
    assert shown(week) == {e.pk for e in events}


@pytest.mark.parametrize(
    "term, expected",
    [
        ("203.0.113.5", [0]),
        ("2001:DB8::7", [2]),
        ("alice@example.com", [0, 2]),
        ("ALICE", [0, 2]),
        ("bob", [1]),  # a failed attempt, by the identifier typed
        ("' OR 1=1 --", []),
        ("10.0.0.0/8", []),
    ],
)
def test_search_by_ip_email_username_or_identifier(admin_client, events, term, expected):
    response = admin_client.get(CHANGELIST, {"q": term})
    assert response.status_code == 200
    assert shown(response) == {events[i].pk for i in expected}


def test_an_event_is_read_only(admin_client, events):
    event = events[0]
    page = admin_client.get(reverse("admin:ciam_fraud_securityevent_change", args=[event.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "new device (+0.25)" in body
    assert 'type="submit" value="Save"' not in body
    assert admin_client.get(reverse("admin:ciam_fraud_securityevent_add")).status_code == 403
    delete = reverse("admin:ciam_fraud_securityevent_delete", args=[event.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert SecurityEvent.objects.filter(pk=event.pk).exists()


def test_retention_setting(admin_client):
    page = admin_client.get(reverse("admin:ciam_fraud_eventlogsettings_changelist"))
    assert page.status_code == 302
    change = page["Location"]
    assert "Default: 90." in admin_client.get(change).content.decode()
    bad = admin_client.post(change, {"retention_days": "0"})
    assert bad.status_code == 200 and "errornote" in bad.content.decode()
    assert admin_client.post(change, {"retention_days": "30"}).status_code == 302
    assert EventLogSettings.load().retention_days == 30
