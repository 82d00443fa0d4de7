"""How fast the Security Center, the policy what-if and the CSV export are on a large event log.

Loads N security events spread over 30 days (a synthetic month of a busy site, see
``security_history.py``; COPY on PostgreSQL) into a database of its own, then times the
Security Center page as a browser loads it (the HTML and the JSON its charts are drawn from,
through the full Django stack, signed in as a superuser) for each window:

1. counted live from the event log (no roll-ups yet: the baseline);
2. after the hourly roll-ups (``fraud.console.rollup.roll_up``), as in production where
   celery beat keeps them current.

It then replays about 100,000 recorded sign-ins through a policy what-if, and streams the CSV
export of up to 100,000 events while measuring the Python memory it holds.

    DATABASE_URL=postgres://... .venv/bin/python benchmarks/security_center.py   # 1,000,000
    .venv/bin/python benchmarks/security_center.py --quick                       # 20,000

Targets: each page under one second with 1,000,000 events on PostgreSQL; the what-if under
five seconds over 100,000 sign-ins.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

import security_history  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings, setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

WINDOWS = [("24h", "hour"), ("7d", "hour"), ("7d", "day"), ("30d", "day"), ("30d", "hour")]
RUNS = 5
WHAT_IF_SIGN_INS = 100_000
EXPORT_ROWS = 100_000


def page_ms(client: Client, window: str, bucket: str, runs: int = RUNS) -> float:
    """Median of ``runs`` loads of the page and its JSON, in milliseconds."""
    page = reverse("admin:ciam_fraud_securityevent_security_center")
    data = reverse("admin:ciam_fraud_securityevent_security_center_data")
    query = {"window": window, "bucket": bucket}
    times = []
    for _ in range(runs + 1):
        start = time.perf_counter()
        html = client.get(page, query)
        json = client.get(data, query)
        elapsed = time.perf_counter() - start
        assert html.status_code == 200 and json.status_code == 200, (html, json)
        times.append(elapsed * 1000)
    return statistics.median(times[1:])  # the first load warms the connection and caches


def time_pages(client: Client, label: str, runs: int) -> list[float]:
    results = []
    for window, bucket in WINDOWS:
        ms = page_ms(client, window, bucket, runs)
        results.append(ms)
        print(f"page {label} (HTML + JSON), {window} by {bucket}: median {ms:.0f} ms")
    return results


def what_if(n_events: int) -> None:
    from fraud.console.metrics import DECISIONS, SIGN_IN_DECISION_TYPES
    from fraud.console.whatif import replay
    from fraud.events.models import SecurityEvent

    sign_ins = SecurityEvent.objects.filter(type__in=SIGN_IN_DECISION_TYPES, score__isnull=False)
    now = timezone.now()
    per_day = sign_ins.filter(DECISIONS, created_at__gte=now - timedelta(days=30)).count() / 30
    wanted = min(WHAT_IF_SIGN_INS, n_events // 4)
    # Enough days for about 100,000 sign-ins (the log holds 30).
    days = min(30, max(1, math.ceil(wanted / per_day))) if per_day else 30
    start = time.perf_counter()
    result = replay(0.6, 0.3, ["new_network"], days, now=now)
    elapsed = time.perf_counter() - start
    print(
        f"what-if over {result.total} sign-ins ({days} days): {elapsed:.2f} s (target < 5 s); "
        f"would allow {result.would('allow')}, step up {result.would('step_up')}, "
        f"deny {result.would('deny')}"
    )


def export(client: Client) -> None:
    from fraud.console import export as csv_export
    from fraud.events.models import SecurityEvent

    ids = SecurityEvent.objects.order_by("-created_at").values_list("created_at", flat=True)
    cutoff = ids[EXPORT_ROWS - 1] if ids.count() >= EXPORT_ROWS else None
    rows = SecurityEvent.objects.all()
    if cutoff is not None:
        rows = rows.filter(created_at__gte=cutoff)
    header, lines = csv_export.event_rows(rows.order_by("-created_at"))
    tracemalloc.start()
    start = time.perf_counter()
    count = size = 0
    for line in csv_export.csv_lines(header, lines):
        count += 1
        size += len(line)
    elapsed = time.perf_counter() - start
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"CSV export: {count - 1} rows ({size / 1e6:.1f} MB) streamed in {elapsed:.1f} s, "
        f"peak Python memory {peak / 1e6:.1f} MB"
    )
    # The admin view itself streams the same way.
    response = client.get(reverse("admin:ciam_fraud_securityevent_export"))
    assert response.streaming, response


def run(n: int, runs: int) -> None:
    from fraud.console.rollup import roll_up

    vendor = "PostgreSQL, COPY" if connection.vendor == "postgresql" else connection.vendor
    start = time.perf_counter()
    security_history.load(n, days=30, users=max(50, min(5000, n // 200)))
    print(f"events: {n} over 30 days ({vendor}), loaded in {time.perf_counter() - start:.0f} s")
    admin = get_user_model().objects.create_superuser("bench-admin", "bench@example.com", "x")
    client = Client()
    client.force_login(admin)

    live = time_pages(client, "without roll-ups", runs=1 if n > 200_000 else runs)
    start = time.perf_counter()
    hours = roll_up()
    print(f"roll-up of {hours} hours: {time.perf_counter() - start:.1f} s")
    rolled = time_pages(client, "with roll-ups", runs)
    print(
        f"slowest page with roll-ups: {max(rolled):.0f} ms (target < 1000 ms); "
        f"without: {max(live):.0f} ms"
    )
    what_if(n)
    export(client)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="20,000 events, for the test suite")
    parser.add_argument("-n", type=int, default=1_000_000, help="events (default 1,000,000)")
    args = parser.parse_args(argv)
    n, runs = (20_000, 2) if args.quick else (args.n, RUNS)

    database = settings.DATABASES["default"]
    # Its own test database, so it never meets the test suite's or a developer's data.
    database.setdefault("TEST", {})["NAME"] = (
        None if database["ENGINE"].endswith("sqlite3") else f"test_{database['NAME']}_console"
    )
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        with override_settings(
            DEBUG=False,
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        ):
            run(n, runs)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
