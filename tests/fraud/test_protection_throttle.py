"""Suspicious IP throttling: failed sign-ins per IP across accounts (a token bucket), sign-ups
per IP per minute, the 429 page with Retry-After, the administrators' alert at most once an
hour, the allow list, and the admin's view of throttled addresses."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from fraud.events.models import EventType, SecurityEvent
from fraud.protection import signals, throttle
from fraud.protection.counters import RoundTrip, now_ms
from fraud.protection.models import AttackProtectionSettings, ThrottleState
from fraud.risk.models import IPRule
from tests.fraud.protection_support import (  # noqa: F401
    LOGIN,
    SIGNUP,
    browser,
    protect_fixture,
    received_fixture,
)

pytestmark = pytest.mark.django_db

STUFFER = "198.51.100.23"
HOME = "203.0.113.10"
MINUTE = 60_000


def stuff(count: int, ip: str = STUFFER, start: int = 0) -> list[int]:
    """Wrong passwords for ``count`` different accounts from one address."""
    return [
        browser(ip).post(LOGIN, {"login": f"victim{n}@example.com", "password": "x"}).status_code
        for n in range(start, start + count)
    ]


# --- The token bucket, at the documented numbers -------------------------------------------


def test_defaults_are_auth0s(db):
    settings = AttackProtectionSettings.load()
    assert settings.login_failures_per_ip == 100
    assert settings.login_refill_minutes == 15
    assert settings.signups_per_ip_per_minute == 50


def test_the_bucket_holds_100_failures_and_gives_one_back_every_15_minutes(db):
    limiter = throttle.IPThrottle(AttackProtectionSettings.load())
    tat = None
    for n in range(100):
        assert not limiter.login_decision(tat).throttled, n
        trip = RoundTrip()
        slot = limiter.queue_login_failure(trip, STUFFER)
        tat = trip.run()[slot]
    now = now_ms()
    decision = limiter.login_decision(tat, now)
    assert decision.throttled and 899 <= decision.retry_after <= 900
    assert limiter.login_decision(tat, now + 15 * MINUTE).remaining == 1
    assert limiter.login_decision(tat, now + 15 * 4 * MINUTE).remaining == 4
    assert limiter.login_decision(tat, now + 25 * 60 * MINUTE).remaining == 100
    assert cache.get(throttle.login_key(STUFFER)) == tat


def test_the_sign_up_window_holds_50_a_minute(db):
    limiter = throttle.IPThrottle(AttackProtectionSettings.load())
    for n in range(1, 52):
        trip = RoundTrip()
        count, ttl = limiter.queue_signup(trip, STUFFER)
        values = trip.run()
        decision = limiter.signup_decision(values[count], values[ttl])
        assert decision.throttled == (n > 50), n
    assert decision.retry_after <= 60


# --- Through the hosted pages ---------------------------------------------------------------


def test_failed_sign_ins_across_accounts_are_throttled(protect, make_user, password):
    protect(login_failures_per_ip=5)
    make_user("victim0", "victim0@example.com")
    assert stuff(5) == [400] * 5
    response = browser(STUFFER).post(LOGIN, {"login": "victim0", "password": password})
    assert response.status_code == 429
    assert 880 <= int(response["Retry-After"]) <= 900
    page = response.content.decode()
    assert "Too many failed sign-ins came from your network" in page
    assert "You can try again in 15 minutes." in page
    # Another address is not concerned.
    assert browser(HOME).post(LOGIN, {"login": "victim0", "password": password}).status_code == 302


def test_sign_ups_are_throttled_per_minute(protect):
    protect(signups_per_ip_per_minute=3)
    codes = [
        browser(STUFFER)
        .post(SIGNUP, {"email": f"new{n}@example.com", "password1": "a quite long passphrase 8"})
        .status_code
        for n in range(5)
    ]
    assert codes == [302, 302, 302, 429, 429]
    response = browser(STUFFER).post(SIGNUP, {"email": "late@example.com", "password1": "x"})
    assert 1 <= int(response["Retry-After"]) <= 60
    assert "Too many sign-ups came from your network" in response.content.decode()
    assert (
        browser(HOME)
        .post(SIGNUP, {"email": "other@example.com", "password1": "a quite long passphrase 8"})
        .status_code
        == 302
    )


def test_administrators_are_alerted_at_most_once_an_hour_per_ip(protect, received):
    protect(login_failures_per_ip=2)
    alerts = received(signals.ip_throttled)
    stuff(2)
    assert stuff(5, start=2) == [429] * 5
    (alert,) = alerts
    assert alert["ip"] == STUFFER and alert["kind"] == "login" and alert["notify_admins"]
    assert 880 <= alert["retry_after"] <= 900
    assert SecurityEvent.objects.filter(type=EventType.IP_THROTTLED).count() == 1
    row = ThrottleState.objects.get()
    assert (row.ip, row.kind) == (STUFFER, "login")


def test_rotating_through_an_ipv6_64_is_throttled_as_one_client(
    protect, received, admin_client, settings
):
    settings.CIAM_TRUSTED_PROXY_COUNT = 0
    protect(login_failures_per_ip=5)
    alerts = received(signals.ip_throttled)
    codes = [stuff(1, ip=f"2001:db8:1:2::{n:x}", start=n)[0] for n in range(1, 9)]
    assert codes == [400] * 5 + [429] * 3
    assert len(alerts) == 1
    row = ThrottleState.objects.get()
    assert (row.ip, row.kind) == ("2001:db8:1:2::", "login")
    assert stuff(1, ip="2001:db8:1:3::1") == [400]  # the next /64 is another client
    page = admin_client.get("/admin/ciam_fraud/throttlestate/").content.decode()
    assert "2001:db8:1:2::/64" in page
    # The administrator's row clears the whole /64.
    response = admin_client.post(
        "/admin/ciam_fraud/throttlestate/",
        {"action": "clear_throttling", "_selected_action": [row.pk]},
    )
    assert response.status_code == 302
    assert stuff(1, ip="2001:db8:1:2::abcd", start=20) == [400]


def test_the_allow_list_is_never_throttled(protect):
    protect(login_failures_per_ip=2, signups_per_ip_per_minute=1)
    IPRule.objects.create(network=f"{STUFFER}/32", action="allow")
    assert stuff(6) == [400] * 6
    codes = [
        browser(STUFFER)
        .post(SIGNUP, {"email": f"n{n}@example.com", "password1": "a quite long passphrase 8"})
        .status_code
        for n in range(3)
    ]
    assert codes == [302] * 3


def test_throttling_off_limits_nothing(protect):
    protect(ip_throttling_enabled=False, login_failures_per_ip=2)
    assert stuff(6) == [400] * 6


# --- The administrator's view ---------------------------------------------------------------


def test_the_admin_lists_throttled_addresses_with_their_live_state_and_clears_them(
    protect, admin_client
):
    protect(login_failures_per_ip=2)
    stuff(3)
    page = admin_client.get("/admin/ciam_fraud/throttlestate/").content.decode()
    assert STUFFER in page and "Throttled for" in page

    row = ThrottleState.objects.get()
    response = admin_client.post(
        "/admin/ciam_fraud/throttlestate/",
        {"action": "clear_throttling", "_selected_action": [row.pk]},
    )
    assert response.status_code == 302
    assert not ThrottleState.objects.exists()
    assert stuff(2, start=10) == [400, 400]
    event = SecurityEvent.objects.filter(type=EventType.UNBLOCKED).get()
    assert event.ip == STUFFER and event.data["kind"] == "login"
