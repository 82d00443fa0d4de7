"""A Redis outage does not stop sign-ins: the cache answers as if empty and says so in the log."""

import socket

import pytest
from django.core.cache import caches

from ciam.cache import FailOpenRedisCache


@pytest.fixture
def dead_redis(settings):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.CACHES = {
        "default": {
            "BACKEND": "ciam.cache.FailOpenRedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    FailOpenRedisCache._last_logged = 0.0
    yield caches["default"]
    caches["default"].close()


def test_every_operation_answers_like_an_empty_cache(dead_redis, caplog):
    cache = dead_redis
    assert cache.get("k", "default") == "default"
    assert cache.get_many(["a", "b"]) == {}
    assert cache.add("lock", 1) is True
    assert cache.incr("counter", 3) == 3
    assert cache.has_key("k") is False
    cache.set("k", 1)
    cache.delete("k")
    assert "cache unavailable" in caplog.text
    assert caplog.text.count("cache unavailable") == 1  # once a minute, not per call


@pytest.mark.django_db
def test_sign_in_works_while_redis_is_down(dead_redis, client, user, password):
    response = client.post("/accounts/login/", {"login": "alice", "password": password})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
    # A wrong password is still a plain 400, not a 500.
    client.post("/accounts/logout/")
    assert client.post("/accounts/login/", {"login": "alice", "password": "no"}).status_code == 400


def test_the_administrator_is_warned_by_a_system_check(dead_redis):
    from django.core import checks

    ids = [message.id for message in checks.run_checks(tags=[checks.Tags.caches])]
    assert "fraud.W010" in ids


def test_no_warning_while_the_cache_answers():
    from django.core import checks

    ids = [message.id for message in checks.run_checks(tags=[checks.Tags.caches])]
    assert "fraud.W010" not in ids
