"""Sift publishing: what one worker delivers per second, and what publishing adds to a login.

1. Delivery throughput. N outbox rows are delivered to the fake Sift on loopback by this
   process acting as one worker (``fraud.sift.tasks.deliver_due``: claim, send, settle each
   row) with the process's shared ``requests.Session``; the baseline delivers the same rows
   with a new connection per event (a fresh session per row). Rounds alternate; the medians
   are printed with their ratio. Loopback has no TLS handshake, so the real gain against
   api.sift.com is larger than measured here.
2. Login latency. One returning user logs in through the full stack (Django test client,
   allauth, the ciam pipeline, every receiver of the suite) with Sift off (no API key) and
   with only publishing on (the Logins toggle, no policy): the $login row is written and its
   task handed to the broker, nothing waits for Sift. Same fast password hasher; the modes
   alternate login by login, so a busy machine slows both alike. Prints both medians and the
   added latency (target: under 2 ms).

    .venv/bin/python benchmarks/sift_publish.py            # 2000 events, 300 logins per mode
    .venv/bin/python benchmarks/sift_publish.py --quick    # 200 events, 30 logins, for tests
    REDIS_URL=redis://127.0.0.1:6379/12 .venv/bin/python benchmarks/sift_publish.py

The broker is Redis when REDIS_URL is set (a queue of its own, purged afterwards), else kombu's
in-process memory transport.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

HASHER = "django.contrib.auth.hashers.MD5PasswordHasher"
PASSWORD = "correct horse battery staple 42"
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
IP = "203.0.113.9"


def configure_sift(api_key: str, **toggles):
    from fraud.sift.models import SiftSettings

    SiftSettings.objects.update_or_create(pk=1, defaults={"api_key": api_key, **toggles})
    SiftSettings.clear_cache()
    return SiftSettings.load()


def make_rows(count: int) -> list[int]:
    from fraud.sift.models import SiftOutbox

    now_ms = int(time.time() * 1000)
    rows = SiftOutbox.objects.bulk_create(
        SiftOutbox(
            event_type="$login",
            payload={
                "$type": "$login",
                "$user_id": f"{n:064x}",
                "$login_status": "$success",
                "$time": now_ms,
                "$session_id": f"{n:032x}",
            },
        )
        for n in range(count)
    )
    return [row.pk for row in rows]


def reset(ids: list[int]) -> None:
    from fraud.sift.models import SiftOutbox

    SiftOutbox.objects.filter(pk__in=ids).update(
        status="pending", next_attempt_at=timezone.now(), attempts=0, sent_at=None
    )


def shared_session_round(ids: list[int]) -> float:
    from fraud.sift.tasks import deliver_due

    reset(ids)
    start = time.perf_counter()
    sent = deliver_due(limit=len(ids))
    elapsed = time.perf_counter() - start
    assert sent == len(ids), f"delivered {sent} of {len(ids)}"
    return len(ids) / elapsed


def new_connection_round(ids: list[int], sift_settings) -> float:
    from fraud.conf import settings as fraud_settings
    from fraud.sift.client import SiftClient, new_session
    from fraud.sift.tasks import deliver_row

    reset(ids)
    start = time.perf_counter()
    for row_id in ids:
        session = new_session()
        client = SiftClient(
            sift_settings.api_key, fraud_settings.SIFT_DELIVERY_TIMEOUT, session=session
        )
        response = deliver_row(row_id, client=client, sift_settings=sift_settings)
        session.close()
        assert response is not None and response.ok, response
    return len(ids) / (time.perf_counter() - start)


def throughput(fake, events: int, rounds: int) -> None:
    sift_settings = configure_sift(fake.api_key)
    ids = make_rows(events)
    shared_session_round(ids[: max(events // 10, 10)])  # warm up: connection, queries
    rates = {"shared": [], "new": []}
    for _ in range(rounds):
        rates["shared"].append(shared_session_round(ids))
        rates["new"].append(new_connection_round(ids, sift_settings))
    shared, new = statistics.median(rates["shared"]), statistics.median(rates["new"])
    print(f"events delivered per round: {events}, rounds: {rounds} (fake Sift on loopback)")
    print(f"one worker, shared session: {shared:.0f} events/s")
    print(f"one worker, new connection per event: {new:.0f} events/s")
    print(f"throughput ratio (shared session / new connection): {shared / new:.2f}")
    print(f"connections opened by the fake Sift: {fake.connections}")


def login_once(client: Client) -> float:
    start = time.perf_counter()
    response = client.post(
        "/accounts/login/",
        {"login": "bench", "password": PASSWORD},
        REMOTE_ADDR=IP,
        HTTP_USER_AGENT=USER_AGENT,
    )
    elapsed = time.perf_counter() - start
    if response.status_code != 302:
        raise SystemExit(f"login answered {response.status_code}, not 302: the setup is wrong")
    client.cookies.pop(settings.SESSION_COOKIE_NAME, None)
    return elapsed


def login_latency(fake, logins: int, warmup: int, block: int) -> None:
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model

    from fraud.sift.models import SiftOutbox

    user = get_user_model().objects.create_user("bench", "bench@example.com", PASSWORD)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    client = Client()
    modes = {
        "off": lambda: configure_sift(""),
        "on": lambda: configure_sift(fake.api_key, publish_logins=True),
    }
    for _ in range(warmup):
        for switch in modes.values():
            switch()
            login_once(client)
    times = {"off": [], "on": []}
    rows_before, events_before = SiftOutbox.objects.count(), len(fake.events())
    done = 0
    while done < logins:
        size = min(block, logins - done)
        for mode, switch in modes.items():
            switch()
            times[mode].extend(login_once(client) for _ in range(size))
        done += size
    published = SiftOutbox.objects.count() - rows_before
    assert published == logins, f"{published} rows for {logins} logins with publishing on"
    assert len(fake.events()) == events_before, "a login called Sift: publishing must be async"
    off, on = statistics.median(times["off"]), statistics.median(times["on"])
    print(f"logins per mode: {logins} (after {warmup} warm-up logins per mode)")
    print(f"password hasher: {HASHER.rsplit('.', 1)[-1]} (same for both modes)")
    print(f"login with Sift off: median {off * 1000:.2f} ms")
    print(f"login with publishing on: median {on * 1000:.2f} ms")
    print(f"added login latency (median): {(on - off) * 1000:.2f} ms (target < 2 ms)")
    print(f"login latency ratio (publishing on / Sift off): {on / off:.3f}")


def use_broker():
    """Celery as in production: tasks go to a broker, nothing runs inline."""
    from config.celery import app

    redis_url = os.environ.get("REDIS_URL")
    queue = f"ciam-sift-bench-{os.getpid()}"
    app.conf.update(
        task_always_eager=False,
        broker_url=redis_url or "memory://",
        task_default_queue=queue,
    )
    print(f"broker: {'Redis (' + queue + ')' if redis_url else 'memory:// (in-process)'}")
    return app, queue


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short run, for the test suite")
    args = parser.parse_args(argv)
    events, rounds, logins, warmup = (200, 3, 30, 5) if args.quick else (2000, 5, 300, 30)

    from tests.fakes.sift_server import FakeSift

    database = settings.DATABASES["default"]
    database.setdefault("TEST", {})["NAME"] = (
        None if database["ENGINE"].endswith("sqlite3") else f"test_{database['NAME']}_siftbench"
    )
    caches = {
        alias: {**config, "KEY_PREFIX": f"ciam-siftbench-{os.getpid()}"}
        for alias, config in settings.CACHES.items()
    }
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    app, queue = use_broker()
    try:
        with (
            FakeSift() as fake,
            override_settings(
                PASSWORD_HASHERS=[HASHER],
                CACHES=caches,
                CIAM_SIFT_API_URL=fake.url,
                DEBUG=False,
            ),
        ):
            print(f"database: {connection.vendor}")
            throughput(fake, events, rounds)
            login_latency(fake, logins, warmup, block=1)
            if fake.violations:
                raise SystemExit(f"the fake Sift refused requests: {fake.violations[:3]}")
    finally:
        if os.environ.get("REDIS_URL"):
            with app.connection_for_write() as conn:
                conn.default_channel.queue_purge(queue)
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
