"""Attack protection on real Redis: concurrent failures lose no increment, concurrent sign-ins
that cross the threshold write one block, and an attempt costs one cache round trip before the
password check and one after a failure, and a sign-in through the login page no more than two
with the risk engine on (counted on the wire)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis.connection
from django.core.cache import cache
from django.db import connections
from django.test import Client, RequestFactory

from ciam.device import hash_identifier
from fraud.protection import brute_force, gate, throttle
from fraud.protection.counters import now_ms
from fraud.protection.models import AttackProtectionSettings, BruteForceBlock
from fraud.risk import velocity
from fraud.risk.models import RiskSettings
from tests.fraud.protection_support import BROWSER, LOGIN, protect_fixture  # noqa: F401

IP = "198.51.100.7"
THREADS = 8


@pytest.fixture
def redis_cache(redis_url, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": "ciam-test-attack",
        }
    }
    cache.clear()
    yield cache
    cache.clear()


@pytest.fixture
def round_trips(monkeypatch):
    """Counts what is sent to Redis: one call per command, one per pipeline."""
    sent = []
    original = redis.connection.AbstractConnection.send_packed_command

    def spy(self, command, check_health=True):
        sent.append(command)
        return original(self, command, check_health)

    monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", spy)
    return sent


def failed_login_request(ip: str = IP):
    return RequestFactory(**BROWSER).post(
        LOGIN, {"login": "alice", "password": "wrong"}, REMOTE_ADDR=ip
    )


@pytest.mark.redis
@pytest.mark.django_db
def test_eight_threads_failing_at_once_lose_no_increment(redis_cache, protect, require_postgres):
    # Threads share the database too: SQLite's in-memory test database cannot take them.
    protect(brute_force_threshold=100)
    per_thread = 12
    start = threading.Barrier(THREADS)

    def fail_many():
        try:
            start.wait()
            for _ in range(per_thread):
                gate.record_failure(failed_login_request(), "alice")
        finally:
            connections.close_all()

    with ThreadPoolExecutor(THREADS) as pool:
        for future in [pool.submit(fail_many) for _ in range(THREADS)]:
            future.result()

    total = THREADS * per_thread
    identifier = hash_identifier("alice")
    assert cache.get(brute_force.pair_key(identifier, IP)) == total
    assert cache.get(brute_force.account_key(identifier)) == total
    assert cache.get(velocity.account_key("alice")) == total
    assert cache.get(velocity.ip_key(IP)) == total
    assert cache.get(gate.network_key("198.51.100.0/24")) == total
    limiter = throttle.IPThrottle(AttackProtectionSettings.load())
    decision = limiter.login_decision(cache.get(throttle.login_key(IP)), now_ms())
    assert decision.remaining == 100 - total
    # The counter lives 30 days after the last failure.
    client = cache._cache.get_client(write=True)
    ttl = client.ttl(cache.make_and_validate_key(brute_force.pair_key(identifier, IP)))
    assert 30 * 24 * 3600 - 60 < ttl <= 30 * 24 * 3600


@pytest.mark.redis
@pytest.mark.django_db
def test_one_round_trip_before_the_password_check_and_one_after_a_failure(
    redis_cache, round_trips, protect
):
    protect(captcha_login="risky")  # bot counters read too
    request = failed_login_request()
    gate.check_attempt(request, "login", "alice")  # first attempt writes the flush marker back
    round_trips.clear()

    request = failed_login_request()
    assert gate.check_attempt(request, "login", "alice") is None
    assert len(round_trips) == 1, round_trips
    gate.record_failure(request, "alice")
    assert len(round_trips) == 2, round_trips
    gate.record_success(request)  # the pair had no failure before this attempt
    assert len(round_trips) == 2


@pytest.mark.redis
@pytest.mark.django_db
def test_sign_ins_through_the_login_page_read_the_counters_once(
    redis_cache, round_trips, user, password
):
    """The risk engine (on, with its failed-attempt signals) scores a success with the counters
    attack protection read before the password check; Sift is off."""
    risk = RiskSettings.load()
    assert risk.account_failures_enabled and risk.ip_failures_enabled
    browser = Client(REMOTE_ADDR=IP, **BROWSER)
    browser.get(LOGIN)
    browser.post(LOGIN, {"login": "alice", "password": "wrong"})  # writes the flush marker
    round_trips.clear()

    failed = browser.post(LOGIN, {"login": "alice", "password": "wrong"})
    assert failed.status_code == 400
    assert len(round_trips) == 2, round_trips  # read before the password check, move after

    round_trips.clear()
    signed_in = browser.post(LOGIN, {"login": "alice", "password": password})
    assert signed_in.status_code == 302
    # Read before the password check; after the sign-in, forget the failures (brute force and
    # the risk engine's) in one more.
    assert len(round_trips) == 2, round_trips
    identifier = hash_identifier("alice")
    assert cache.get(brute_force.pair_key(identifier, IP)) is None
    assert cache.get(velocity.account_key("alice")) is None

    browser.post("/accounts/logout/")
    round_trips.clear()
    assert browser.post(LOGIN, {"login": "alice", "password": password}).status_code == 302
    assert len(round_trips) == 1, round_trips  # no failure to forget


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_sign_ins_crossing_the_threshold_write_one_block(
    redis_cache, require_postgres, make_user
):
    make_user("alice", "alice@example.com")
    Client().get(LOGIN)  # every settings row exists before the threads race for it
    start = threading.Barrier(THREADS)

    def attempts():
        try:
            client = Client(REMOTE_ADDR=IP, **BROWSER)
            start.wait()
            return [
                client.post(LOGIN, {"login": "alice", "password": "wrong"}).status_code
                for _ in range(5)
            ]
        finally:
            connections.close_all()

    with ThreadPoolExecutor(THREADS) as pool:
        codes = [
            code for f in [pool.submit(attempts) for _ in range(THREADS)] for code in f.result()
        ]

    counted = cache.get(brute_force.pair_key(hash_identifier("alice"), IP))
    assert set(codes) == {400, 429}
    # Every failure the password check saw was counted, and it crossed the threshold once.
    assert codes.count(400) == counted >= 10
    assert BruteForceBlock.objects.count() == 1
