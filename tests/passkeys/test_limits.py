"""The per-IP cap on passkey sign-in options: every login page load asks for them (autofill),
so a script must not be able to fill the session and challenge tables through them."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from passkeys.models import Challenge

from .conftest import post_json

pytestmark = pytest.mark.django_db

IP = "203.0.113.5"


def ask(ip: str = IP):
    """A visitor without cookies (a script, or a first page load)."""
    return post_json(Client(REMOTE_ADDR=ip), "passkeys:login_options")


@pytest.fixture
def cap(settings):
    settings.CIAM_WEBAUTHN_OPTIONS_PER_MINUTE = 5
    return 5


def test_over_the_cap_an_ip_is_refused_before_anything_is_written(cap):
    for _ in range(cap):
        assert ask().status_code == 200
    sessions, challenges = Session.objects.count(), Challenge.objects.count()

    refused = ask()

    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/json"
    assert refused.json()["code"] == "too_many_requests"
    assert "Try again" in refused.json()["error"]
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert (Session.objects.count(), Challenge.objects.count()) == (sessions, challenges)


def test_other_addresses_are_counted_apart(cap):
    for _ in range(cap):
        ask()
    assert ask().status_code == 429
    assert ask("198.51.100.7").status_code == 200


def test_an_ipv6_network_counts_as_one_address(cap):
    # One machine gets a whole /64: counting its addresses apart would make the cap useless.
    for n in range(cap):
        assert ask(f"2001:db8:1:2::{n + 1}").status_code == 200
    assert ask("2001:db8:1:2::ffff").status_code == 429
    assert ask("2001:db8:1:3::1").status_code == 200


def test_zero_turns_the_cap_off(settings):
    settings.CIAM_WEBAUTHN_OPTIONS_PER_MINUTE = 0
    for _ in range(70):
        assert ask().status_code == 200


def test_the_default_cap_is_60_a_minute():
    for _ in range(60):
        assert ask().status_code == 200
    assert ask().status_code == 429


def test_the_cap_fails_open_when_the_cache_is_down(cap, settings):
    from tests.fraud.sift_support import closed_port

    settings.CACHES = {
        "default": {
            "BACKEND": "ciam.cache.FailOpenRedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
        }
    }
    for _ in range(cap + 3):
        assert ask().status_code == 200
