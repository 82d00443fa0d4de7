"""Rolling the security event log up into hourly counts and daily attack sources.

``roll_up()`` is idempotent and incremental: it counts each closed hour not rolled up yet (a
few GROUP BY queries per day of events), upserts the counts, and recounts the current day's
busiest attack sources up to the same hour. Run it every few minutes (``fraud.console.schedule``);
the Security Center counts whatever is newer live, so a late or missing run makes the page
slower, never wrong.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone

from ..events.models import SecurityEvent
from .metrics import EVENTS, SOURCE_FIELDS, metric_counts, source_counts
from .models import DailyAttackSource, HourlyEventCount

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
# An event is written a moment after its time is taken: an hour is counted once it has been
# closed for this long.
GRACE = timedelta(minutes=2)
# The longest window of the Security Center is 30 days; roll-ups older than this are deleted.
KEEP = timedelta(days=32)
# Each day keeps its busiest attack sources of each kind: enough for a top ten over 30 days,
# small enough to add up in milliseconds whatever the size of an attack.
SOURCES_PER_DAY = 200


def floor_hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def floor_day(moment: datetime) -> datetime:
    return floor_hour(moment).replace(hour=0)


def rolled_until() -> datetime | None:
    """The end of the last hour rolled up (events before it are counted in the roll-ups), or
    None when nothing was rolled up yet."""
    last = HourlyEventCount.objects.filter(metric=EVENTS).aggregate(last=Max("hour"))["last"]
    return last + HOUR if last else None


def roll_up(now: datetime | None = None) -> int:
    """Roll up every closed hour not rolled up yet; the number of hours rolled up."""
    now = now or timezone.now()
    closed = floor_hour(now - GRACE)
    oldest_kept = floor_hour(now - KEEP)
    start = rolled_until()
    if start is None:
        first = SecurityEvent.objects.aggregate(first=Min("created_at"))["first"]
        start = floor_hour(first) if first else closed
    start = max(start, oldest_kept)
    hours = 0
    while start < closed:
        # A day at a time: short transactions, and each day's sources counted once.
        end = min(floor_day(start) + DAY, closed)
        _roll_range(start, end)
        hours += int((end - start) / HOUR)
        start = end
    HourlyEventCount.objects.filter(hour__lt=oldest_kept).delete()
    DailyAttackSource.objects.filter(day__lt=floor_day(oldest_kept)).delete()
    return hours


@transaction.atomic
def _roll_range(start: datetime, end: datetime) -> None:
    counts: dict[tuple[datetime, str], int] = {}
    hour = start
    while hour < end:
        # Written even when 0: the latest "events" row marks how far the roll-up went.
        counts[(hour, EVENTS)] = 0
        hour += HOUR
    for bucket, metric, n in metric_counts(start, end, "hour", UTC):
        counts[(bucket.astimezone(UTC), metric)] = n
    HourlyEventCount.objects.bulk_create(
        [HourlyEventCount(hour=h, metric=m, count=n) for (h, m), n in sorted(counts.items())],
        update_conflicts=True,
        unique_fields=["hour", "metric"],
        update_fields=["count"],
        batch_size=2000,
    )
    day = floor_day(start)
    for kind in SOURCE_FIELDS:
        rows = source_counts(kind, day, end, limit=SOURCES_PER_DAY)
        # The day is counted again from its start: its earlier rows are replaced.
        DailyAttackSource.objects.filter(kind=kind, day=day).delete()
        DailyAttackSource.objects.bulk_create(
            [
                DailyAttackSource(
                    day=day, kind=kind, key=row["key"], user_id=row["user"], count=row["n"]
                )
                for row in rows
            ],
            batch_size=1000,
        )
