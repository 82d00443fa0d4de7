"""What the local risk engine and the security event log add to a password login.

Logs one returning user in N times through the full stack (Django test client, allauth's
login view, the ciam pipeline) with every local risk signal on (GeoIP on MaxMind's test
database, IP rules, failure counters), and N times with the suite's receivers disconnected
(every receiver defined in fraud, passkeys and notifications; ciam's own pipeline stays, as
it is the baseline the engine plugs into). Same fast password hasher, same database, same
cache; the two modes alternate login by login so that drift (a busy machine, growing tables)
hits both alike. Prints median and p99 per login for both, their ratio, and the database
queries per login, before and after 200 more events in the user's history.

    .venv/bin/python benchmarks/login_overhead.py            # 300 logins per mode
    .venv/bin/python benchmarks/login_overhead.py --quick    # 30, for the test suite
    DATABASE_URL=postgres://... .venv/bin/python benchmarks/login_overhead.py

Target: ratio at most 1.15 with a warm cache, and no query count growing with history.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
import weakref
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.dispatch import Signal  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    override_settings,
    setup_test_environment,
)
from django.utils import timezone  # noqa: E402

HASHER = "django.contrib.auth.hashers.MD5PasswordHasher"
SUITE_MODULES = ("fraud.", "passkeys.", "notifications.")
LOGIN = "/accounts/login/"
IP = "81.2.69.142"  # London in MaxMind's test database
PASSWORD = "correct horse battery staple 42"
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


class SuiteReceivers:
    """Disconnect and reconnect every receiver defined in the suite's add-on apps."""

    def __init__(self) -> None:
        self.found = []
        for signal in (o for o in gc.get_objects() if isinstance(o, Signal)):
            for key, ref, _is_async in list(signal.receivers):
                func = ref() if isinstance(ref, weakref.ReferenceType) else ref
                if func is not None and getattr(func, "__module__", "").startswith(SUITE_MODULES):
                    self.found.append((signal, func, key))

    def names(self) -> list[str]:
        return sorted({f"{func.__module__}.{func.__qualname__}" for _s, func, _k in self.found})

    def disconnect(self) -> None:
        # The receivers' entries are taken out and put back as they are: reconnecting by
        # function would lose the sender a receiver was connected for (post_save of one model).
        self.saved = {signal: list(signal.receivers) for signal, _f, _k in self.found}
        ours = {(id(signal), key) for signal, _f, key in self.found}
        for signal, receivers in self.saved.items():
            with signal.lock:
                signal.receivers = [r for r in receivers if (id(signal), r[0]) not in ours]
                signal.sender_receivers_cache.clear()

    def connect(self) -> None:
        for signal, receivers in self.saved.items():
            with signal.lock:
                signal.receivers = list(receivers)
                signal.sender_receivers_cache.clear()


def make_user():
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("bench", "bench@example.com", PASSWORD)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def login_once(client: Client) -> float:
    """One login, timed; the session cookie is dropped afterwards (the device cookie stays)."""
    start = time.perf_counter()
    response = client.post(
        LOGIN,
        {"login": "bench", "password": PASSWORD},
        REMOTE_ADDR=IP,
        HTTP_USER_AGENT=USER_AGENT,
    )
    elapsed = time.perf_counter() - start
    if response.status_code != 302:
        raise SystemExit(f"login answered {response.status_code}, not 302: the setup is wrong")
    client.cookies.pop(settings.SESSION_COOKIE_NAME, None)
    return elapsed


def queries_per_login(client: Client) -> int:
    with CaptureQueriesContext(connection) as captured:
        login_once(client)
    return len(captured.captured_queries)


def add_history(user, count: int) -> None:
    from fraud.events.models import SecurityEvent

    now = timezone.now()
    SecurityEvent.objects.bulk_create(
        SecurityEvent(
            type=["login_succeeded", "login_failed", "logout"][n % 3],
            user=user,
            created_at=now - timedelta(hours=n + 1),
            ip=f"198.51.{n % 250}.7",
            network=f"198.51.{n % 250}.0/24",
            country=["FR", "DE", "US"][n % 3],
        )
        for n in range(count)
    )


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def summary(times: list[float]) -> tuple[float, float]:
    p99 = statistics.quantiles(times, n=100, method="inclusive")[98]
    return statistics.median(times), p99


def run(n: int, warmup: int, block: int) -> None:
    from fraud.risk.models import IPRule

    for i in range(20):  # an administrator's list: a few ranges to match against
        IPRule.objects.create(network=f"192.0.2.{i * 8}/29", action="deny")
    IPRule.objects.create(network="2001:db8::/32", action="allow")
    user = make_user()
    client = Client()
    receivers = SuiteReceivers()
    login_once(client)  # the first sign-in: history for the engine, device cookie

    for _ in range(warmup):
        login_once(client)
        receivers.disconnect()
        login_once(client)
        receivers.connect()

    times = {"on": [], "off": []}
    done = 0
    while done < n:
        size = min(block, n - done)
        times["on"].extend(login_once(client) for _ in range(size))
        receivers.disconnect()
        times["off"].extend(login_once(client) for _ in range(size))
        receivers.connect()
        done += size

    queries_on = queries_per_login(client)
    receivers.disconnect()
    queries_off = queries_per_login(client)
    receivers.connect()
    add_history(user, 200)
    queries_after = queries_per_login(client)

    on_median, on_p99 = summary(times["on"])
    off_median, off_p99 = summary(times["off"])
    vendor = connection.vendor
    cache_backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    print(f"logins per mode: {n} (after {warmup} warm-up logins per mode)")
    print(f"password hasher: {HASHER.rsplit('.', 1)[-1]} (same for both modes)")
    print(f"database: {vendor}, cache: {cache_backend}, geoip: MaxMind test database")
    print(f"disconnected in the baseline: {', '.join(receivers.names())}")
    print(f"with the local engine: median {ms(on_median)}, p99 {ms(on_p99)}")
    print(f"receivers disconnected: median {ms(off_median)}, p99 {ms(off_p99)}")
    print(f"ratio (median): {on_median / off_median:.3f} (target <= 1.15)")
    print(f"ratio (p99): {on_p99 / off_p99:.3f}")
    print(f"queries per login: {queries_on} with the engine, {queries_off} without")
    growth = queries_after - queries_on
    print(f"queries per login after 200 more history events: {queries_after} (growth {growth})")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="30 logins per mode")
    parser.add_argument("-n", type=int, default=300, help="logins per mode (default 300)")
    args = parser.parse_args(argv)
    n, warmup = (30, 5) if args.quick else (args.n, 30)

    database = settings.DATABASES["default"]
    # Its own test database, so it never meets the test suite's or a developer's data.
    database.setdefault("TEST", {})["NAME"] = (
        None if database["ENGINE"].endswith("sqlite3") else f"test_{database['NAME']}_bench"
    )
    caches = {
        alias: {**config, "KEY_PREFIX": f"ciam-bench-{os.getpid()}"}
        for alias, config in settings.CACHES.items()
    }
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        with override_settings(
            PASSWORD_HASHERS=[HASHER],
            CIAM_GEOIP_PATH=str(ROOT / "tests" / "data" / "GeoIP2-City-Test.mmdb"),
            CACHES=caches,
            # allauth's per-IP login limit (1000 a minute) would stop a long run; it is still
            # checked on every login, in both modes.
            ACCOUNT_RATE_LIMITS={**(settings.ACCOUNT_RATE_LIMITS or {}), "login": "1000000/m/ip"},
            DEBUG=False,
        ):
            run(n, warmup, block=1)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
