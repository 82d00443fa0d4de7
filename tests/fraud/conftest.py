"""Fixtures of the fraud tests: sign-ins through allauth's login view from chosen addresses,
the MaxMind test database, the risk engine's settings."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from fraud.events.models import EventType, SecurityEvent
from fraud.risk.models import RiskSettings

LOGIN = "/accounts/login/"
GEOIP_TEST_DB = Path(__file__).resolve().parent.parent / "data" / "GeoIP2-City-Test.mmdb"

# Addresses of MaxMind's test database (see tests/data): city, country.
LONDON = "81.2.69.142"  # GB
BOXFORD = "2.125.160.216"  # GB, about 90 km from London
MILTON = "216.160.83.56"  # US, about 7,700 km from London
LINKOPING = "89.160.20.112"  # SE

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    # Hundreds of sign-ins: PBKDF2's deliberate slowness is not what these tests are about.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def geoip(settings):
    settings.CIAM_GEOIP_PATH = str(GEOIP_TEST_DB)
    return settings.CIAM_GEOIP_PATH


@pytest.fixture
def tune(db):
    """Change the risk engine's admin settings for one test."""

    def apply(**fields):
        RiskSettings.objects.update_or_create(pk=1, defaults=fields)
        RiskSettings.clear_cache()

    return apply


@pytest.fixture
def sign_in(password):
    """POST the hosted login form from ``ip``; ``client`` keeps its device cookie."""

    def post(
        client: Client, ip: str, identifier: str = "alice", secret: str | None = None, **extra
    ):
        extra.setdefault("HTTP_USER_AGENT", FIREFOX)
        return client.post(
            LOGIN,
            {"login": identifier, "password": password if secret is None else secret},
            REMOTE_ADDR=ip,
            **extra,
        )

    return post


@pytest.fixture
def signed_in_before(sign_in):
    """A first sign-in (history for the engine), then signed out; ``hours_ago`` moves it back
    in time. Returns the browser, which keeps its device cookie."""

    def make(ip: str, hours_ago: float = 0, client: Client | None = None, identifier="alice"):
        client = client or Client()
        response = sign_in(client, ip, identifier)
        assert response.status_code == 302, response.content[:500]
        client.post("/accounts/logout/")
        if hours_ago:
            when = timezone.now() - timedelta(hours=hours_ago)
            SecurityEvent.objects.update(created_at=when)
        return client

    return make


def last_event(type: str | None = None) -> SecurityEvent:
    events = SecurityEvent.objects.order_by("-pk")
    if type:
        events = events.filter(type=type)
    return events.first()


def signal_keys(event: SecurityEvent) -> set[str]:
    return {s["key"] for s in event.signals if s["weight"] > 0}


__all__ = ["EventType", "last_event", "signal_keys"]
