"""The Security Center's roll-ups: hourly counts and daily attack sources, written by the
periodic task, give the same numbers as counting the log live."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from fraud.console import rollup
from fraud.console.models import DailyAttackSource, HourlyEventCount
from fraud.console.report import Window, build_report
from fraud.console.sources import merge_top
from fraud.console.tasks import roll_up_security_events

from .console_support import event, signals, write

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 14, 25, tzinfo=UTC)


def history(now=NOW, days=9, seed=3):
    rng = random.Random(seed)
    rows = []
    types = ["login_succeeded", "login_failed", "login_blocked", "captcha_shown", "signup"]
    for _ in range(900):
        at = now - timedelta(minutes=rng.randint(0, days * 24 * 60))
        kind = rng.choice(types)
        ip = f"198.51.100.{rng.choice([7, 7, 7, 8, 9, 10, 11])}" if kind != "signup" else None
        fields = {"ip": ip, "network": "198.51.100.0/24" if ip else ""}
        if kind == "login_failed":
            fields["identifier_hash"] = rng.choice(["a" * 64, "b" * 64, "c" * 64])
        if kind == "login_succeeded":
            score = rng.choice([0.1, 0.25, 0.55, 0.8])
            fields.update(
                score=score,
                signals=signals("new_device"),
                verdict="deny" if score > 0.7 else "step_up" if score > 0.5 else "allow",
                enforced=rng.random() > 0.3,
                sift=rng.choice([None, 0.05, 0.42, 0.99, 1.0]),
            )
        rows.append(event(kind, at, **fields))
    write(*rows)


def test_roll_up_counts_closed_hours_once_and_resumes_where_it_stopped():
    history()
    assert rollup.rolled_until() is None
    hours = rollup.roll_up(now=NOW)
    first_hour = rollup.floor_hour(NOW - timedelta(days=9))
    # Up to the last hour closed for two minutes: 14:00 is still open at 14:25.
    assert rollup.rolled_until() == datetime(2026, 3, 10, 14, tzinfo=UTC)
    assert hours == int((rollup.rolled_until() - first_hour) / timedelta(hours=1))
    rows = HourlyEventCount.objects.count()
    assert rollup.roll_up(now=NOW) == 0
    assert HourlyEventCount.objects.count() == rows
    # An hour later the next hour is added, nothing else is counted again.
    assert rollup.roll_up(now=NOW + timedelta(hours=1)) == 1


def test_every_hour_rolled_up_has_a_row_even_without_events():
    write(event("signup", NOW - timedelta(hours=5)))
    rollup.roll_up(now=NOW)
    totals = dict(HourlyEventCount.objects.filter(metric="events").values_list("hour", "count"))
    assert len(totals) == 5
    assert sorted(totals.values()) == [0, 0, 0, 0, 1]


@pytest.mark.parametrize("window, bucket", [("24h", "hour"), ("7d", "hour"), ("7d", "day")])
def test_a_report_from_roll_ups_equals_one_counted_live(window, bucket, settings):
    settings.TIME_ZONE = "Europe/Paris"
    history()
    live = build_report(Window.make(window, bucket, now=NOW))
    rollup.roll_up(now=NOW - timedelta(hours=3))  # three hours are still counted live
    rolled = build_report(Window.make(window, bucket, now=NOW))
    assert rolled.rolled_until is not None
    assert rolled.series == live.series
    assert rolled.top_ips == live.top_ips
    assert rolled.top_accounts == live.top_accounts
    assert rolled.sift_distribution == live.sift_distribution
    assert sum(live.sift_distribution) > 0


def test_sift_scores_fall_in_tenths_with_1_0_in_the_last():
    write(
        *[
            event("login_succeeded", NOW - timedelta(hours=2), verdict="allow", score=0.1, sift=s)
            for s in (0.0, 0.05, 0.1, 0.42, 0.99, 1.0)
        ],
        event("login_succeeded", NOW - timedelta(hours=2), verdict="allow", score=0.1),
    )
    report = build_report(Window.make("24h", now=NOW))
    assert report.sift_distribution == [2, 1, 0, 0, 1, 0, 0, 0, 0, 2]
    rollup.roll_up(now=NOW)
    assert build_report(Window.make("24h", now=NOW)).sift_distribution == [
        2, 1, 0, 0, 1, 0, 0, 0, 0, 2,
    ]  # fmt: skip


def test_a_sign_in_after_a_step_up_is_one_verdict_not_two():
    at = NOW - timedelta(hours=1)
    common = {"score": 0.6, "verdict": "step_up", "enforced": True}
    write(
        event("step_up_requested", at, **common),
        event("step_up_passed", at, **common),
        event("login_succeeded", at, data={"step_up_skipped": False}, **common),
        # Not asked (verified recently on this device): a sign-in of its own.
        event("login_succeeded", at, data={"step_up_skipped": True}, **common),
        event("login_denied", at, score=0.9, verdict="deny"),
        event("login_succeeded", at, score=0.1, verdict="allow", enforced=False),
    )
    report = build_report(Window.make("24h", now=NOW))
    assert report.total("verdict:step_up:enforced") == 2
    assert report.total("verdict:deny:enforced") == 1
    assert report.total("verdict:allow:monitored") == 1


def test_only_the_days_busiest_sources_are_kept(monkeypatch):
    monkeypatch.setattr(rollup, "SOURCES_PER_DAY", 2)
    at = NOW - timedelta(days=1)
    rows = [event("login_failed", at, ip="203.0.113.1") for _ in range(3)]
    rows += [event("login_failed", at, ip="203.0.113.2") for _ in range(2)]
    rows += [event("login_failed", at, ip="203.0.113.3")]
    write(*rows)
    rollup.roll_up(now=NOW)
    kept = dict(DailyAttackSource.objects.filter(kind="ip").values_list("key", "count"))
    assert kept == {"203.0.113.1": 3, "203.0.113.2": 2}


def test_roll_ups_older_than_the_longest_window_are_deleted():
    write(event("signup", NOW - timedelta(days=40)), event("login_failed", NOW, ip="192.0.2.1"))
    rollup.roll_up(now=NOW)
    oldest = HourlyEventCount.objects.order_by("hour").first().hour
    assert oldest >= NOW - rollup.KEEP - timedelta(hours=1)


def test_the_task_rolls_up(settings):
    write(event("signup", timezone.now() - timedelta(hours=3)))
    assert roll_up_security_events.apply().get() >= 3
    assert rollup.rolled_until() is not None


def _brute_force_top(counts: dict[str, int], limit: int):
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]


@pytest.mark.parametrize("seed", range(30))
def test_merging_a_rolled_top_with_live_counts_is_exact(seed):
    rng = random.Random(seed)
    keys = [f"k{i}" for i in range(40)]
    rolled = {k: rng.randint(0, 30) for k in keys if rng.random() < 0.8}
    live = {k: rng.randint(1, 25) for k in keys if rng.random() < 0.3}
    limit = 10
    rolled_top = [(k, n, None) for k, n in _brute_force_top(rolled, limit)]
    merged = merge_top(
        rolled_top,
        lambda wanted: {k: (rolled[k], None) for k in wanted if k in rolled},
        live,
        {},
        limit,
    )
    expected = {k: rolled.get(k, 0) + live.get(k, 0) for k in set(rolled) | set(live)}
    # Ties at the tenth place may be broken either way: compare the counts.
    assert [n for _k, n, _u in merged] == [n for _k, n in _brute_force_top(expected, limit)]
    assert all(expected[k] == n for k, n, _u in merged)
