"""What attack protection costs per failed login, against django-axes doing the same job.

One run, one database, one cache. For each failed login (a wrong password for one of P
identifiers, each from its own address, R times over, so neither the threshold of 10 nor IP
throttling is ever reached and both keep counting):

- the suite: the pre-authentication check (``fraud.protection.gate.check_attempt``: IP
  throttling, brute-force block, counters for bot detection) and the failure's counters
  (``gate.record_failure``: brute force, the IP's token bucket, the risk engine's velocity,
  the network counter);
- django-axes with its database handler, configured for the same threshold
  (``AXES_FAILURE_LIMIT = 10`` per username and IP, 30 days): ``AxesProxyHandler.is_allowed``
  and ``AxesProxyHandler.user_login_failed``.

The two alternate attempt by attempt, so drift hits both. Prints median and p99 per failed
login, the ratio, cache round trips (counted on the wire when the cache is Redis) and
database queries per failed login, and the suite's cost with its security-event row added.

    .venv/bin/python benchmarks/attack_protection.py            # 200 identifiers x 9
    .venv/bin/python benchmarks/attack_protection.py --quick    # 20 x 3, for the test suite
    DATABASE_URL=postgres://... REDIS_URL=redis://... \\
        .venv/bin/python benchmarks/attack_protection.py

Target: the suite at most half of axes' cost per failed login (ratio <= 0.5).
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.pop("DJANGO_SETTINGS_MODULE", None)

import django  # noqa: E402
from django.conf import settings  # noqa: E402

import config.settings as site_settings  # noqa: E402

THRESHOLD = 10
HASHER = "django.contrib.auth.hashers.MD5PasswordHasher"
LOGIN = "/accounts/login/"
BROWSER = {
    "HTTP_USER_AGENT": "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    "HTTP_ACCEPT": "text/html,application/xhtml+xml,*/*;q=0.8",
    "HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.5",
    "HTTP_ACCEPT_ENCODING": "gzip, deflate, br",
}


def configure() -> None:
    """The reference site's settings, plus django-axes configured like the suite's defaults."""
    base = {name: getattr(site_settings, name) for name in dir(site_settings) if name.isupper()}
    base["INSTALLED_APPS"] = [*base["INSTALLED_APPS"], "axes"]
    base["CACHES"] = {
        alias: {**config, "KEY_PREFIX": f"ciam-bench-{os.getpid()}"}
        for alias, config in base["CACHES"].items()
    }
    base.update(PASSWORD_HASHERS=[HASHER], DEBUG=False)
    settings.configure(
        **base,
        AXES_FAILURE_LIMIT=THRESHOLD,
        AXES_LOCKOUT_PARAMETERS=[["username", "ip_address"]],
        AXES_COOLOFF_TIME=timedelta(days=30),
        AXES_RESET_ON_SUCCESS=True,
        AXES_CLIENT_IP_CALLABLE="ciam.client_ip.get_client_ip",
        AXES_VERBOSE=False,
    )
    django.setup()
    logging.getLogger("axes").setLevel(logging.ERROR)
    logging.getLogger("ciam").setLevel(logging.ERROR)


class RoundTrips:
    """Counts what is sent to Redis (one per command, one per pipeline); None elsewhere."""

    def __init__(self) -> None:
        from django.core.cache import caches
        from django.core.cache.backends.redis import RedisCache

        self.count = 0
        self.on_redis = isinstance(caches["default"], RedisCache)
        if self.on_redis:
            import redis.connection

            original = redis.connection.AbstractConnection.send_packed_command
            counter = self

            def spy(conn, command, check_health=True):
                counter.count += 1
                return original(conn, command, check_health)

            redis.connection.AbstractConnection.send_packed_command = spy


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.3f} ms"


def summary(times: list[float]) -> tuple[float, float]:
    p99 = statistics.quantiles(times, n=100, method="inclusive")[98]
    return statistics.median(times), p99


def run(pairs: int, rounds: int) -> None:
    import axes
    from axes.handlers.proxy import AxesProxyHandler
    from django.db import connection
    from django.test import RequestFactory
    from django.test.utils import CaptureQueriesContext

    from fraud.events.models import EventType
    from fraud.events.record import record_event
    from fraud.protection import gate
    from fraud.protection.models import AttackProtectionSettings
    from fraud.risk.models import RiskSettings

    factory = RequestFactory(**BROWSER)
    AttackProtectionSettings.load()
    RiskSettings.load().ip_rules()
    trips = RoundTrips()

    def request(identifier: str, ip: str):
        return factory.post(LOGIN, {"login": identifier, "password": "wrong"}, REMOTE_ADDR=ip)

    def suite(identifier: str, ip: str, with_log: bool = False) -> float:
        r = request(identifier, ip)
        start = time.perf_counter()
        if gate.check_attempt(r, "login", identifier) is not None:
            raise SystemExit("the suite refused an attempt below its thresholds: setup is wrong")
        gate.record_failure(r, identifier)
        if with_log:
            record_event(EventType.LOGIN_FAILED, request=r, identifier=identifier, reason="wrong")
        return time.perf_counter() - start

    def with_axes(identifier: str, ip: str) -> float:
        r = request(identifier, ip)
        credentials = {"username": identifier}
        start = time.perf_counter()
        if not AxesProxyHandler.is_allowed(r, credentials):
            raise SystemExit("axes refused an attempt below its threshold: setup is wrong")
        AxesProxyHandler.user_login_failed(sender=None, credentials=credentials, request=r)
        return time.perf_counter() - start

    def identities(prefix: str, network: int):
        # Each identifier from its own address; each group of identities in its own range.
        return [
            (f"{prefix}{n}@example.com", f"10.{network}.{n // 250}.{n % 250 + 1}")
            for n in range(pairs)
        ]

    # Warm-up on identities of their own: settings loaded, connections open.
    for identifier, ip in identities("warm", 1)[:5]:
        suite(identifier, ip)
        with_axes(identifier, ip)

    times: dict[str, list[float]] = {"suite": [], "axes": [], "logged": []}
    people = identities("user", 2)
    logged = identities("logged", 3)
    for _ in range(rounds):
        for (identifier, ip), (other, other_ip) in zip(people, logged, strict=True):
            times["suite"].append(suite(identifier, ip))
            times["axes"].append(with_axes(identifier, ip))
            times["logged"].append(suite(other, other_ip, with_log=True))

    # What one more failed login costs each: a repeated failure, still below the threshold.
    identifier, ip = identities("measure", 4)[0]
    suite(identifier, ip)
    with_axes(identifier, ip)
    before = trips.count
    with CaptureQueriesContext(connection) as suite_queries:
        suite(identifier, ip)
    suite_trips = trips.count - before
    before = trips.count
    with CaptureQueriesContext(connection) as axes_queries:
        with_axes(identifier, ip)
    axes_trips = trips.count - before

    suite_median, suite_p99 = summary(times["suite"])
    axes_median, axes_p99 = summary(times["axes"])
    logged_median, _logged_p99 = summary(times["logged"])
    cache_backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    print(
        f"failed logins per mode: {len(times['suite'])} ({pairs} identifiers x {rounds}, "
        f"each from its own IP; threshold {THRESHOLD} never reached)"
    )
    print(f"database: {connection.vendor}, cache: {cache_backend}")
    print(
        f"suite (throttling, brute force, bot counters, risk velocity): "
        f"median {ms(suite_median)}, p99 {ms(suite_p99)}"
    )
    print(
        f"django-axes {axes.__version__} (database handler, failure limit {THRESHOLD}): "
        f"median {ms(axes_median)}, p99 {ms(axes_p99)}"
    )
    print(f"ratio suite/axes (median): {suite_median / axes_median:.3f} (target <= 0.5)")
    print(f"ratio suite/axes (p99): {suite_p99 / axes_p99:.3f}")
    if trips.on_redis:
        print(f"cache round trips per failed login: suite {suite_trips}, axes {axes_trips}")
    else:
        print("cache round trips per failed login: not counted (the cache is not Redis)")
    print(
        f"database queries per failed login: suite {len(suite_queries)}, axes {len(axes_queries)}"
    )
    print(
        f"suite with its security-event row: median {ms(logged_median)} "
        f"(ratio {logged_median / axes_median:.3f})"
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="20 identifiers x 3 failures")
    parser.add_argument("--pairs", type=int, default=200, help="identifiers (default 200)")
    parser.add_argument("--rounds", type=int, default=9, help="failures each (default 9, < 10)")
    args = parser.parse_args(argv)
    pairs, rounds = (20, 3) if args.quick else (args.pairs, min(args.rounds, THRESHOLD - 1))

    configure()
    from django.db import connection
    from django.test.utils import setup_test_environment

    database = settings.DATABASES["default"]
    # Its own test database, so it never meets the test suite's or a developer's data.
    database.setdefault("TEST", {})["NAME"] = (
        None if database["ENGINE"].endswith("sqlite3") else f"test_{database['NAME']}_attack_bench"
    )
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from django.core.cache import cache

        cache.clear()
        run(pairs, rounds)
    finally:
        from django.core.cache import cache

        cache.clear()
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
