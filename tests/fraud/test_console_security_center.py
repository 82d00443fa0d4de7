"""The Security Center page, its JSON and CSV: what an administrator reads there matches the
event log; it is only for staff who may view security events."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from fraud.console.report import Window, build_report
from fraud.console.rollup import roll_up

from .console_support import event, signals, write

pytestmark = pytest.mark.django_db

PAGE = reverse("admin:ciam_fraud_securityevent_security_center")
DATA = reverse("admin:ciam_fraud_securityevent_security_center_data")
CSV = reverse("admin:ciam_fraud_securityevent_security_center_csv")


@pytest.fixture
def seeded(user):
    now = timezone.now()

    def ago(hours):
        return now - timedelta(hours=hours)

    attacker = {"ip": "203.0.113.66", "network": "203.0.113.0/24"}
    rows = write(
        *[
            event("login_succeeded", ago(1), user=user, verdict="allow", score=0.1)
            for _ in range(3)
        ],
        *[event("login_failed", ago(2), **attacker) for _ in range(5)],
        event(
            "login_failed",
            ago(3),
            ip="198.51.100.4",
            network="198.51.100.0/24",
            identifier_hash="f" * 64,
        ),
        event("signup", ago(4)),
        event("captcha_shown", ago(5)),
        event("captcha_solved", ago(5)),
        event("captcha_failed", ago(6), **attacker),
        event("brute_force_block", ago(7), user=user, identifier_hash="a" * 64, ip=attacker["ip"]),
        event("ip_throttled", ago(7), **attacker),
        event("breached_password", ago(8), user=user),
        event(
            "login_denied",
            ago(9),
            user=user,
            ip="192.0.2.9",
            verdict="deny",
            score=0.9,
            signals=signals("new_country", "impossible_travel"),
            sift=0.93,
        ),
        event("step_up_requested", ago(10), user=user, verdict="step_up", score=0.6, sift=0.55),
        event("login_succeeded", ago(11), user=user, verdict="deny", enforced=False, score=0.8),
        # Outside the 24 hours.
        event("login_failed", ago(30), **attacker),
    )
    return rows


def series(data, chart_id):
    chart = next(c for c in data["charts"] if c["id"] == chart_id)
    return {s["key"]: s["total"] for s in chart["series"]}


def test_the_json_counts_what_the_log_holds(admin_client, seeded):
    response = admin_client.get(DATA, {"window": "24h"})
    assert response.status_code == 200
    data = response.json()
    assert len(data["buckets"]) == 24
    sign_ins = series(data, "sign_ins")
    # Four seeded, and admin_client's own sign-in (with no risk check, so no verdict).
    assert sign_ins["type:login_succeeded"] == 5
    assert sign_ins["type:login_failed"] == 6
    assert sign_ins["type:signup"] == 1
    assert series(data, "captchas") == {
        "type:captcha_shown": 1,
        "type:captcha_solved": 1,
        "type:captcha_failed": 1,
    }
    assert series(data, "protection") == {
        "type:brute_force_block": 1,
        "type:ip_throttled": 1,
        "type:breached_password": 1,
    }
    verdicts = series(data, "verdicts")
    assert verdicts["verdict:allow:enforced"] == 3
    assert verdicts["verdict:deny:enforced"] == 1
    assert verdicts["verdict:step_up:enforced"] == 1
    assert verdicts["verdict:deny:monitored"] == 1
    sift = next(c for c in data["charts"] if c["id"] == "sift")["series"][0]["data"]
    assert sift[9] == 1 and sift[5] == 1 and sum(sift) == 2
    assert data["top_ips"][0] == {"key": "203.0.113.66", "count": 8, "user_id": None}
    assert data["top_networks"][0]["key"] == "203.0.113.0/24"
    assert [r["type"] for r in data["recent"]] == ["login_denied", "step_up_requested"]
    denied = seeded[-4]
    assert data["recent"][0]["url"] == reverse(
        "admin:ciam_fraud_securityevent_change", args=[denied.pk]
    )


def test_the_30_days_window_by_day(admin_client, seeded):
    data = admin_client.get(DATA, {"window": "30d", "bucket": "day"}).json()
    assert len(data["buckets"]) == 30
    assert series(data, "sign_ins")["type:login_failed"] == 7


@pytest.mark.parametrize(
    "time_zone, last_day_start",
    [
        ("UTC", datetime(2025, 3, 10, 0, 0, tzinfo=UTC)),
        # Local midnight is 18:30 UTC: the day's bucket starts at the whole hour before it.
        ("Asia/Kolkata", datetime(2025, 3, 9, 18, 0, tzinfo=UTC)),
    ],
)
def test_days_are_labelled_with_the_administrators_dates(settings, time_zone, last_day_start):
    settings.TIME_ZONE = time_zone
    now = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
    # 00:45 on the 10th in Kolkata, 19:15 on the 9th in UTC.
    write(event("login_failed", datetime(2025, 3, 9, 19, 15, tzinfo=UTC)))
    report = build_report(Window.make("7d", "day", now=now))
    labels = report.bucket_labels()
    assert labels == [f"2025-03-{d:02d}" for d in range(4, 11)]
    assert report.window.buckets[-1] == last_day_start
    counted = dict(zip(labels, report.values("type:login_failed"), strict=True))
    local_day = "2025-03-10" if time_zone == "Asia/Kolkata" else "2025-03-09"
    assert counted[local_day] == 1 and sum(counted.values()) == 1


def test_the_page_shows_charts_tables_and_links(admin_client, seeded):
    response = admin_client.get(PAGE, {"window": "7d"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "fraud/vendor/chart.umd.min.js" in body and "cdn" not in body.lower()
    assert f'data-ciam-sc-data="{DATA}?window=7d&amp;bucket=hour"' in body
    for chart in ("sign_ins", "captchas", "protection", "verdicts", "sift"):
        assert f'data-chart="{chart}"' in body
    # The numbers as tables, the top tables linking to the filtered event list.
    assert "Sign-ins failed: <strong>7</strong>" in body
    assert '<tfoot><tr><th scope="row">Total</th><td>5</td><td>7</td>' in body
    events = reverse("admin:ciam_fraud_securityevent_changelist")
    assert f'href="{events}?ip=203.0.113.66"' in body
    assert f'href="{events}?identifier_hash={"a" * 64}"' in body
    assert "alice" in body  # the blocked account is named
    assert "Download CSV" in body


def test_the_top_links_filter_the_event_list(admin_client, seeded):
    events = reverse("admin:ciam_fraud_securityevent_changelist")
    response = admin_client.get(events, {"ip": "203.0.113.66"})
    assert response.status_code == 200
    assert {e.ip for e in response.context["cl"].result_list} == {"203.0.113.66"}


def test_the_csv_has_a_row_per_bucket_and_a_column_per_series(admin_client, seeded):
    response = admin_client.get(CSV, {"window": "24h"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment;" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    header, body = rows[0], rows[1:]
    assert header[0] == "bucket start" and "Sign-ins failed" in header
    assert "Sift score 0.9–1.0" in header
    assert len(body) == 24
    failed = header.index("Sign-ins failed")
    assert sum(int(r[failed]) for r in body) == 6


def test_the_page_reads_the_roll_ups(admin_client, seeded):
    before = admin_client.get(DATA, {"window": "7d"}).json()
    roll_up()
    after = admin_client.get(DATA, {"window": "7d"}).json()
    assert after["rolled_up_until"] is not None
    assert after["charts"] == before["charts"]
    assert "have not run yet" not in admin_client.get(PAGE).content.decode()


@pytest.mark.parametrize(
    "query",
    [{"window": "1y"}, {"window": "24h", "bucket": "day"}, {"window": "7d", "bucket": "minute"}],
)
def test_an_unknown_window_is_a_400(admin_client, query):
    assert admin_client.get(PAGE, query).status_code == 400
    response = admin_client.get(DATA, query)
    assert response.status_code == 400 and response.json()["error"]
    assert admin_client.get(CSV, query).status_code == 400


def test_staff_without_the_view_permission_are_refused(client, make_user):
    staff = make_user("clerk", is_staff=True)
    client.force_login(staff)
    for url in (PAGE, DATA, CSV):
        assert client.get(url).status_code == 403
    staff.user_permissions.add(Permission.objects.get(codename="view_securityevent"))
    assert client.get(PAGE).status_code == 200
    assert client.get(DATA).status_code == 200


def test_visitors_are_sent_to_sign_in(client):
    response = client.get(PAGE)
    assert response.status_code == 302
