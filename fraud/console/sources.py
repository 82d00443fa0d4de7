"""The busiest attack sources of a window (addresses, networks, accounts): from the daily
roll-ups for whole days, counted live for the rest, merged exactly."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from django.db.models import Max, Sum

from .metrics import source_counts
from .models import DailyAttackSource
from .rollup import DAY, SOURCES_PER_DAY, floor_day

TOP = 10


def top_sources(kind: str, window, until: datetime | None, limit: int = TOP) -> list[dict]:
    """The ``limit`` busiest attack sources of ``kind`` in the window.

    Over a day, counted live and exact. Over longer windows, the whole days rolled up come from
    each day's busiest sources (``rollup.SOURCES_PER_DAY``) and the rest is counted live; the
    two are merged exactly (``merge_top``), so a source is only undercounted on days it was
    not among the day's busiest.
    """
    start, end = window.start, window.end
    rolled_from = floor_day(start) + (DAY if floor_day(start) < start else timedelta(0))
    live: dict[str, int] = defaultdict(int)
    users: dict[str, int] = {}
    if end - start > DAY and until is not None and until > rolled_from:
        segments = [(start, min(rolled_from, end)), (until, end)]
        rolled = DailyAttackSource.objects.filter(kind=kind, day__gte=rolled_from, day__lt=until)
    else:
        segments = [(start, end)]
        rolled = DailyAttackSource.objects.none()
    # Counted live alone, the database ranks them; merged with roll-ups, a live part is held
    # to the same rule as a rolled-up day.
    keep = SOURCES_PER_DAY if len(segments) > 1 else limit
    for a, b in segments:
        if a < b:
            for row in source_counts(kind, a, b, limit=keep):
                live[row["key"]] += row["n"]
                if row["user"]:
                    users[row["key"]] = row["user"]
    ranked = rolled.values("key").annotate(n=Sum("count"), user=Max("user")).order_by("-n", "key")

    def rolled_counts(keys):
        return {
            row["key"]: (row["n"], row["user"])
            for row in ranked.order_by().filter(key__in=list(keys))
        }

    merged = merge_top(
        [(row["key"], row["n"], row["user"]) for row in ranked[:limit]],
        rolled_counts,
        live,
        users,
        limit,
    )
    return [{"key": key, "count": n, "user_id": user} for key, n, user in merged]


def merge_top(rolled_top, rolled_counts, live, live_users, limit):
    """The exact top ``limit`` of rolled + live counts.

    ``rolled_top`` is the top ``limit`` of the rolled part alone, as ``(key, n, user)``. A key
    outside it has a rolled count of at most the smallest one in it, so it can only reach the
    top with enough live events: only those keys' rolled counts are fetched
    (``rolled_counts(keys) -> {key: (n, user)}``).
    """
    totals = {key: [n, user] for key, n, user in rolled_top}
    for key, n in live.items():
        if key in totals:
            totals[key][0] += n
    bound = rolled_top[-1][1] if len(rolled_top) >= limit else 0
    # Every key's total is at least its live count: the limit-th best of these lower bounds
    # is a threshold the final top reaches.
    lower = sorted(
        [t[0] for t in totals.values()] + [n for k, n in live.items() if k not in totals],
        reverse=True,
    )
    threshold = lower[limit - 1] if len(lower) >= limit else 0
    outside = [key for key, n in live.items() if key not in totals and n + bound >= threshold]
    extra = rolled_counts(outside) if outside and bound else {}
    for key in outside:
        n, user = extra.get(key, (0, None))
        totals[key] = [n + live[key], user]
    for key, user in live_users.items():
        if key in totals and not totals[key][1]:
            totals[key][1] = user
    ordered = sorted(totals.items(), key=lambda item: (-item[1][0], item[0]))
    return [(key, n, user) for key, (n, user) in ordered[:limit]]
