"""The security events CSV export: the list as filtered and searched, streamed row by row,
safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from fraud.console import export
from fraud.events.models import SecurityEvent

from .console_support import event, signals, write

pytestmark = pytest.mark.django_db

EXPORT = reverse("admin:ciam_fraud_securityevent_export")
CHANGELIST = reverse("admin:ciam_fraud_securityevent_changelist")


def read(response) -> list[dict]:
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def events(user):
    now = timezone.now()
    return write(
        event(
            "login_succeeded",
            now - timedelta(minutes=3),
            user=user,
            ip="203.0.113.5",
            score=0.65,
            verdict="step_up",
            signals=signals("new_device", "new_country"),
        ),
        event(
            "login_failed",
            now - timedelta(minutes=2),
            ip="198.51.100.9",
            user_agent='=HYPERLINK("http://evil.example","click")',
        ),
        event("login_failed", now - timedelta(minutes=1), ip="198.51.100.10", reason="+1 wrong"),
    )


def test_the_changelist_links_to_the_export_of_what_it_shows(admin_client, events):
    body = admin_client.get(CHANGELIST, {"type__exact": "login_failed"}).content.decode()
    assert f'href="{EXPORT}?type__exact=login_failed"' in body


def test_the_export_follows_the_filters_and_the_search(admin_client, events):
    rows = read(admin_client.get(EXPORT, {"type__exact": "login_failed"}))
    assert [r["IP address"] for r in rows] == ["198.51.100.10", "198.51.100.9"]
    rows = read(admin_client.get(EXPORT, {"q": "alice@example.com"}))
    assert len(rows) == 1
    row = rows[0]
    assert row["user"] == "alice"
    assert row["risk signals"] == "new_device new_country"
    assert row["verdict"] == "step_up" and row["enforced"] == "yes"
    assert float(row["risk score"]) == 0.65


def test_the_response_is_attached_and_streamed(admin_client, events):
    response = admin_client.get(EXPORT)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="security-events-')
    assert isinstance(response, StreamingHttpResponse)


def test_rows_are_read_in_chunks_as_they_are_sent(user):
    now = timezone.now()
    write(*[event("login_failed", now - timedelta(seconds=i), ip="192.0.2.1") for i in range(25)])
    header, rows = export.event_rows(SecurityEvent.objects.order_by("-created_at"), chunk_size=10)
    lines = export.csv_lines(header, rows)
    with CaptureQueriesContext(connection) as queries:
        assert next(lines).startswith("time,type,user")
        assert len(queries) == 0  # nothing is read before the first row is asked for
        next(lines)
    assert len(queries) <= 1
    assert sum(1 for _ in lines) == 24


def test_formula_like_cells_are_quoted(admin_client, events):
    rows = read(admin_client.get(EXPORT, {"type__exact": "login_failed"}))
    agents = {r["user agent"] for r in rows}
    assert '\'=HYPERLINK("http://evil.example","click")' in agents
    assert {r["reason"] for r in rows} >= {"'+1 wrong"}


def test_a_filter_that_does_not_exist_is_a_400(admin_client, events):
    response = admin_client.get(EXPORT, {"user__password__startswith": "pbkdf2"})
    assert response.status_code == 400


def test_only_staff_who_may_view_events_can_export(client, make_user, events):
    staff = make_user("clerk", is_staff=True)
    client.force_login(staff)
    assert client.get(EXPORT).status_code == 403
    staff.user_permissions.add(Permission.objects.get(codename="view_securityevent"))
    assert client.get(EXPORT).status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        {"ip": "notanip"},
        {"ip__exact": "1.2.3.4\x00"},
        {"signals__contains": "x"},
        {"data__has_key": "x"},
        {"score__gt": "abc"},
        {"created_at__gte": "garbage"},
        {"created_at__day": "99"},
        {"user__id__exact": "abc"},
        {"enforced__exact": "maybe"},
    ],
)
def test_filters_that_cannot_be_applied_are_a_400_with_a_message(admin_client, events, query):
    response = admin_client.get(EXPORT, query)
    assert response.status_code == 400
    assert "filter" in response.content.decode()


def test_the_list_answers_400_to_an_address_that_is_not_one(admin_client, events):
    response = admin_client.get(CHANGELIST, {"ip": "notanip"})
    assert response.status_code == 400
    assert "IP address" in response.content.decode()
    assert admin_client.get(CHANGELIST, {"ip": "203.0.113.5"}).status_code == 200
