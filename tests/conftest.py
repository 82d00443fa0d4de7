"""Shared fixtures. Tests that need PostgreSQL, Redis or Chromium skip with a reason when the
service is absent, except under CI (CI=true), where an absent service fails the test."""

from __future__ import annotations

import os
import shutil
import socket
from urllib.parse import urlparse

import pytest
from django.core.cache import cache

from ciam.singleton import clear_all_settings_caches

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require(condition: bool, reason: str) -> None:
    """Skip when ``condition`` is false, or fail under CI where every service must be there."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: a missing service is a failure, not a skip)")
    pytest.skip(reason)


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture
def require_postgres(settings):
    require(
        settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
        "needs PostgreSQL: set DATABASE_URL=postgres://postgres@127.0.0.1:5432/ciam",
    )


@pytest.fixture
def redis_url():
    url = os.environ.get("REDIS_URL")
    reachable = bool(url) and _port_open(urlparse(url).hostname, urlparse(url).port or 6379)
    require(reachable, "needs Redis: set REDIS_URL=redis://127.0.0.1:6379/7")
    return url


@pytest.fixture
def chromium_path():
    path = os.environ.get("CIAM_CHROMIUM", "/usr/bin/chromium")
    require(bool(shutil.which(path)), f"needs Chromium at {path} (Debian package chromium)")
    return path


@pytest.fixture(autouse=True)
def _fresh_state():
    """Each test starts with empty counters and re-read admin settings."""
    clear_all_settings_caches()
    cache.clear()
    yield
    clear_all_settings_caches()


@pytest.fixture
def password():
    return "correct horse battery staple 42"


@pytest.fixture
def make_user(db, password):
    """Factory: a user with a verified primary email address."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model

    counter = iter(range(1, 10_000))

    def make(username=None, email=None, **fields):
        n = next(counter)
        username = username or f"user{n}"
        email = email or f"{username}@example.com"
        user = get_user_model().objects.create_user(
            username=username, email=email, password=fields.pop("password", password), **fields
        )
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        return user

    return make


@pytest.fixture
def user(make_user):
    return make_user("alice", "alice@example.com")


@pytest.fixture
def connect_receiver():
    """Connect a receiver to a signal for one test; disconnected afterwards."""
    connected = []

    def connect(signal, func):
        signal.connect(func, weak=False, dispatch_uid=f"test-{id(func)}")
        connected.append((signal, func))
        return func

    yield connect
    for signal, func in connected:
        signal.disconnect(dispatch_uid=f"test-{id(func)}")
