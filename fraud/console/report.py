"""The numbers of the Security Center for one window: built from the roll-ups for the hours
and days already rolled up, and from a live count of the events after them.

``build_report(Window.make(key, bucket))`` returns plain data (``Report.as_dict()`` is the
page's JSON) in a bounded number of queries: one read of the hourly roll-ups, four live
GROUP BY queries for the events newer than the last roll-up, three top-ten queries over the
daily attack sources plus their live part, and one query for the recent denies and step-ups.
Nothing reads more than a day of raw events once the roll-ups are current.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Sum
from django.db.models.functions import TruncDay
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..events.models import EventType, SecurityEvent
from .metrics import SIFT_BINS, metric_counts
from .models import HourlyEventCount
from .rollup import HOUR, floor_hour, rolled_until
from .sources import top_sources

WINDOWS = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}
WINDOW_LABELS = {"24h": _("24 hours"), "7d": _("7 days"), "30d": _("30 days")}
BUCKETS = {"hour": _("by hour"), "day": _("by day")}
DEFAULT_BUCKET = {"24h": "hour", "7d": "hour", "30d": "day"}
RECENT = 20

# (chart id, title, type, [(metric, series label)]). Series are told apart by line dashes and
# point shapes or fill patterns as well as colour (see security_center.js).
CHARTS = [
    (
        "sign_ins",
        _("Sign-ins and sign-ups"),
        "line",
        [
            ("type:login_succeeded", _("Sign-ins succeeded")),
            ("type:login_failed", _("Sign-ins failed")),
            ("type:login_blocked", _("Refused before the password check")),
            ("type:signup", _("Sign-ups")),
        ],
    ),
    (
        "captchas",
        _("CAPTCHAs"),
        "line",
        [
            ("type:captcha_shown", _("CAPTCHAs shown")),
            ("type:captcha_solved", _("CAPTCHAs solved")),
            ("type:captcha_failed", _("CAPTCHAs failed")),
        ],
    ),
    (
        "protection",
        _("Attack protection"),
        "line",
        [
            ("type:brute_force_block", _("Brute-force blocks")),
            ("type:ip_throttled", _("IP addresses throttled")),
            ("type:breached_password", _("Breached passwords detected")),
        ],
    ),
    (
        "verdicts",
        _("Risk verdicts of sign-ins"),
        "bar",
        [
            ("verdict:allow:enforced", _("Allow")),
            ("verdict:step_up:enforced", _("Step-up")),
            ("verdict:deny:enforced", _("Deny")),
            ("verdict:allow:monitored", _("Allow (monitored)")),
            ("verdict:step_up:monitored", _("Step-up (monitored)")),
            ("verdict:deny:monitored", _("Deny (monitored)")),
        ],
    ),
]
SIFT_LABELS = [f"{i / SIFT_BINS:.1f}–{(i + 1) / SIFT_BINS:.1f}" for i in range(SIFT_BINS)]


class WindowError(ValueError):
    """An unknown window or bucket; the message is for the administrator."""


@dataclass
class Window:
    """The buckets of a window: ``buckets`` are their starts (aware datetimes); by day,
    ``days`` are the local dates they stand for (a bucket starts at the whole UTC hour at or
    before its local midnight, which in a half-hour time zone is the evening before)."""

    key: str
    bucket: str
    start: datetime
    end: datetime
    buckets: list[datetime]
    days: list[date] = field(default_factory=list)

    @classmethod
    def make(cls, key: str, bucket: str | None = None, now: datetime | None = None) -> Window:
        if key not in WINDOWS:
            raise WindowError(_("Choose a window of 24 hours, 7 days or 30 days."))
        bucket = bucket or DEFAULT_BUCKET[key]
        if bucket not in BUCKETS:
            raise WindowError(_("Choose buckets of an hour or a day."))
        if key == "24h" and bucket == "day":
            raise WindowError(_("24 hours are shown by hour."))
        now = now or timezone.now()
        span = WINDOWS[key]
        days = []
        if bucket == "hour":
            first = floor_hour(now) - (span - HOUR)
            buckets = [first + HOUR * i for i in range(int(span / HOUR))]
        else:
            # Days of the administrator's time zone, starting at a whole UTC hour (roll-ups
            # are hourly).
            tz = timezone.get_current_timezone()
            today = timezone.localtime(now, tz).date()
            days = [today - timedelta(days=i) for i in range(span.days - 1, -1, -1)]
            buckets = [
                floor_hour(timezone.make_aware(datetime.combine(d, datetime.min.time()), tz))
                for d in days
            ]
        return cls(key, bucket, buckets[0], now, buckets, days)

    def __post_init__(self):
        self._positions = {b: i for i, b in enumerate(self.buckets)}

    def index(self, moment: datetime) -> int | None:
        """The bucket of ``moment`` (a bucket start from the database)."""
        i = self._positions.get(moment)
        if i is not None:
            return i
        if self.bucket == "hour":
            i = int((floor_hour(moment) - self.start) / HOUR)
        else:
            tz = timezone.get_current_timezone()
            i = (timezone.localtime(moment, tz).date() - self.days[0]).days
        return i if 0 <= i < len(self.buckets) else None


@dataclass
class Report:
    window: Window
    rolled_until: datetime | None
    series: dict[str, list[int]] = field(default_factory=dict)
    top_ips: list[dict] = field(default_factory=list)
    top_networks: list[dict] = field(default_factory=list)
    top_accounts: list[dict] = field(default_factory=list)
    recent: list[SecurityEvent] = field(default_factory=list)

    def values(self, metric: str) -> list[int]:
        return self.series.get(metric) or [0] * len(self.window.buckets)

    def total(self, metric: str) -> int:
        return sum(self.values(metric))

    @property
    def sift_distribution(self) -> list[int]:
        return [self.total(f"sift:{i}") for i in range(SIFT_BINS)]

    @property
    def rollup_lag(self) -> timedelta | None:
        """How far behind the roll-ups are (None: never ran)."""
        if self.rolled_until is None:
            return None
        return max(timedelta(0), floor_hour(self.window.end) - self.rolled_until)

    def bucket_labels(self) -> list[str]:
        """Bucket starts in the administrator's time zone; by day, the local dates."""
        if not hasattr(self, "_labels"):
            if self.window.bucket == "day":
                self._labels = [d.isoformat() for d in self.window.days]
            else:
                self._labels = [
                    timezone.localtime(b).strftime("%Y-%m-%d %H:%M") for b in self.window.buckets
                ]
        return self._labels

    def charts(self) -> list[dict]:
        charts = [
            {
                "id": chart_id,
                "title": str(title),
                "type": kind,
                "labels": self.bucket_labels(),
                "series": [
                    {
                        "key": metric,
                        "label": str(label),
                        "data": self.values(metric),
                        "total": self.total(metric),
                    }
                    for metric, label in series
                ],
            }
            for chart_id, title, kind, series in CHARTS
        ]
        charts.append(
            {
                "id": "sift",
                "title": str(_("Sift scores of sign-ins")),
                "type": "bar",
                "labels": SIFT_LABELS,
                "series": [
                    {
                        "key": "sift",
                        "label": str(_("Sign-ins scored")),
                        "data": self.sift_distribution,
                        "total": sum(self.sift_distribution),
                    }
                ],
            }
        )
        return charts

    def as_dict(self) -> dict:
        return {
            "window": self.window.key,
            "bucket": self.window.bucket,
            "start": self.window.start.isoformat(),
            "end": self.window.end.isoformat(),
            "rolled_up_until": self.rolled_until.isoformat() if self.rolled_until else None,
            "buckets": [b.isoformat() for b in self.window.buckets],
            "charts": self.charts(),
            "top_ips": self.top_ips,
            "top_networks": self.top_networks,
            "top_accounts": self.top_accounts,
            "recent": [
                {
                    "id": e.pk,
                    "time": e.created_at.isoformat(),
                    "type": e.type,
                    "user": e.user.get_username() if e.user else "",
                    "ip": e.ip,
                    "score": e.score,
                    "verdict": e.verdict,
                    "enforced": e.enforced,
                }
                for e in self.recent
            ],
        }


def build_report(window: Window) -> Report:
    until = rolled_until()
    report = Report(window, until)
    report.series = _series(window, until)
    report.top_ips = top_sources("ip", window, until)
    report.top_networks = top_sources("network", window, until)
    report.top_accounts = top_sources("account", window, until)
    _name_accounts(report.top_accounts)
    report.recent = list(
        SecurityEvent.objects.filter(
            created_at__gte=window.start,
            type__in=[EventType.LOGIN_DENIED, EventType.STEP_UP_REQUESTED],
        )
        .select_related("user")
        .order_by("-created_at")[:RECENT]
    )
    return report


def _series(window: Window, until: datetime | None) -> dict[str, list[int]]:
    series: dict[str, list[int]] = defaultdict(lambda: [0] * len(window.buckets))

    def add(bucket, metric, n):
        i = window.index(bucket)
        if i is not None:
            series[metric][i] += n

    live_from = window.start
    if until is not None and until > window.start:
        rolled_end = min(until, window.end)
        rows = HourlyEventCount.objects.filter(hour__gte=window.start, hour__lt=rolled_end)
        if window.bucket == "hour":
            for hour, metric, n in rows.values_list("hour", "metric", "count"):
                add(hour, metric, n)
        else:
            tz = timezone.get_current_timezone()
            by_day = (
                rows.annotate(day=TruncDay("hour", tzinfo=tz))
                .values("day", "metric")
                .annotate(n=Sum("count"))
            )
            for row in by_day:
                add(row["day"], row["metric"], row["n"])
        live_from = rolled_end
    if live_from < window.end:
        tz = timezone.get_current_timezone() if window.bucket == "day" else UTC
        for bucket, metric, n in metric_counts(live_from, window.end, window.bucket, tz):
            add(bucket, metric, n)
    return dict(series)


def _name_accounts(rows: list[dict]) -> None:
    ids = {row["user_id"] for row in rows if row["user_id"]}
    users = get_user_model().objects.in_bulk(ids) if ids else {}
    for row in rows:
        user = users.get(row["user_id"])
        row["user"] = user.get_username() if user else ""
