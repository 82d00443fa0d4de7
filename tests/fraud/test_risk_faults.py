"""Faults and absurd input: an outage of the site's cache (``ciam.cache.FailOpenRedisCache``)
fails open (sign-ins go on, the counters are reported unavailable, logged, and reported by a
system check), a 10 kB user agent, an IPv6 literal with a zone id, GeoIP look-ups of private
addresses and an unreadable GeoIP database."""

from __future__ import annotations

import logging
import socket

import pytest
from django.core.cache import caches
from django.test import Client, RequestFactory, override_settings

from ciam.context import AuthenticationContext
from fraud.protection import gate
from fraud.risk import engine, geo, velocity
from fraud.risk.checks import check_counter_cache, check_geoip
from fraud.risk.ip_rules import IPRuleSet
from fraud.risk.models import IPRule
from tests.fraud.conftest import LONDON, EventType, last_event, signal_keys

pytestmark = pytest.mark.django_db


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def shipped_cache(url: str) -> dict:
    """The cache config/settings.py configures when REDIS_URL is set: Redis that fails open."""
    return {
        "default": {
            "BACKEND": "ciam.cache.FailOpenRedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "ciam-risk-tests",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }


@pytest.fixture
def cache_down(monkeypatch):
    """Redis unreachable (nothing listens on the port), with the site's own settings otherwise
    (allauth's rate limits included: they read the same cache)."""
    # Outages are logged once a minute per process: this test's must be.
    monkeypatch.setattr(gate, "_last_logged", 0.0)
    monkeypatch.setattr(velocity, "_last_logged", 0.0)
    with override_settings(CACHES=shipped_cache(f"redis://127.0.0.1:{closed_port()}/0")):
        yield


def test_a_cache_outage_fails_open(user, sign_in, signed_in_before, cache_down, caplog):
    browser = signed_in_before("203.0.113.10")
    caplog.set_level(logging.ERROR, logger="ciam.fraud")

    failed = sign_in(Client(), "203.0.113.10", secret="wrong")
    assert failed.status_code == 400
    assert last_event().type == EventType.LOGIN_FAILED

    response = sign_in(browser, "203.0.113.10")
    assert response.status_code == 302
    assert browser.session["_auth_user_id"] == str(user.pk)
    event = last_event()
    assert event.type == EventType.LOGIN_SUCCEEDED
    assert signal_keys(event) == set()
    notes = [s["explanation"] for s in event.signals]
    assert "failed-attempt counters unavailable (cache down)" in notes
    assert "failing open: ConnectionError" in caplog.text


def test_a_cache_outage_with_nothing_typed_reports_the_counters_unavailable(
    user, cache_down, caplog
):
    # A passkey or social sign-in: the engine reads the counters itself.
    caplog.set_level(logging.ERROR, logger="ciam.fraud.risk")
    context = AuthenticationContext(request=None, user=user, method="passkey", ip="203.0.113.10")
    assessment = engine.assess(context)
    assert assessment.score == 0
    assert assessment.keys == ()
    notes = [s.explanation for s in assessment.signals]
    assert "failed-attempt counters unavailable (cache down)" in notes
    assert "failing open: ConnectionError" in caplog.text


def test_counters_read_during_an_outage_are_unknown(cache_down):
    # FailOpenRedisCache answers an empty get_many while Redis is down: read that way, the
    # counters would look like "no failure" instead of "unknown".
    counts = velocity.read_counts(["alice"], "203.0.113.1")
    assert (counts.account, counts.ip, counts.available) == (0, 0, False)


def test_the_system_check_warns_of_a_cache_outage(cache_down):
    (warning,) = check_counter_cache(None)
    assert warning.id == "fraud.W010"
    assert "fail open" in warning.msg


def test_the_system_check_is_quiet_when_the_cache_answers():
    assert check_counter_cache(None) == []


def test_counters_on_real_redis(redis_url):
    with override_settings(CACHES=shipped_cache(redis_url)):
        cache = caches["default"]
        cache.clear()
        for identifier in ("Alice", "alice", "alice", "bob"):
            request = RequestFactory().post("/accounts/login/", REMOTE_ADDR="203.0.113.1")
            gate.record_failure(request, identifier)
        counts = velocity.read_counts(["alice", "alice@example.com"], "203.0.113.1")
        assert (counts.account, counts.ip, counts.available) == (3, 4, True)
        # Each window expires on its own (the first failure set its lifetime).
        client = cache._cache.get_client(write=True)
        key = cache.make_and_validate_key("ciam:risk:fail:ip:203.0.113.1")
        assert 0 < client.ttl(key) <= 15 * 60
        velocity.clear_account(["alice"])
        assert velocity.read_counts(["alice"], "203.0.113.1").account == 0
        cache.clear()


def test_a_10_kb_user_agent(user, sign_in, signed_in_before):
    browser = signed_in_before("203.0.113.10")
    response = sign_in(browser, "203.0.113.10", HTTP_USER_AGENT="Mozilla/5.0 " + "A" * 10_000)
    assert response.status_code == 302
    assert len(last_event().user_agent) == 512


def test_an_ipv6_literal_with_a_zone_id(user, sign_in, signed_in_before, geoip):
    browser = signed_in_before("fe80::1%eth0")
    assert last_event(EventType.LOGIN_SUCCEEDED).ip == "fe80::1"
    IPRule.objects.create(network="fe80::/64", action="deny")
    assert sign_in(browser, "fe80::2%25eth0").status_code == 403
    assert "untrusted_ip" in signal_keys(last_event())


@pytest.mark.parametrize(
    "address",
    ["10.0.0.1", "192.168.1.1", "127.0.0.1", "::1", "fe80::1%eth0", "100.64.0.1", "not an ip", ""],
)
def test_geoip_of_private_and_bogus_addresses_is_none(geoip, address):
    assert geo.locate(address) is None


def test_geoip_of_a_public_address(geoip):
    london = geo.locate(LONDON)
    assert (london.country, london.city, london.label) == ("GB", "London", "London, United Kingdom")
    assert geo.locate("::214.0.0.1").country == "SG"  # IPv6 in MaxMind's test data


def test_signing_in_from_a_private_address_with_geoip_on(user, sign_in, signed_in_before, geoip):
    browser = signed_in_before("10.1.2.3")
    assert sign_in(browser, "192.168.0.9").status_code == 302
    event = last_event()
    assert event.country == ""
    assert signal_keys(event) == {"new_network"}


def test_an_unreadable_geoip_database_turns_location_off(settings, tmp_path, caplog):
    broken = tmp_path / "GeoLite2-City.mmdb"
    broken.write_bytes(b"not a maxmind database")
    settings.CIAM_GEOIP_PATH = str(broken)
    assert geo.locate(LONDON) is None
    assert geo.status() == (False, f"the GeoIP database at {broken} cannot be read")
    (warning,) = check_geoip(None)
    assert warning.id == "fraud.W011"


def test_a_missing_geoip_setting_is_not_a_warning(settings):
    settings.CIAM_GEOIP_PATH = None
    assert check_geoip(None) == []
    assert geo.status() == (False, "CIAM_GEOIP_PATH is not set")


def test_ip_rules_ignore_what_is_not_an_address():
    rules = IPRuleSet([IPRule(network="10.0.0.0/8", action="deny")])
    assert rules.match("10.1.2.3").action == "deny"
    assert rules.match("::ffff:10.1.2.3").action == "deny"  # IPv4-mapped IPv6
    assert rules.match("2001:db8::1") is None
    assert rules.match("garbage") is None
    assert rules.match(None) is None
