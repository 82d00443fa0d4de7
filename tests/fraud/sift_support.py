"""Fixtures of the Sift tests: Sift pointed at the fake server, Celery eager or on a dead broker.

Import the fixtures a module needs: ``from tests.fraud.sift_support import sift_fixture``.
"""

from __future__ import annotations

import socket
from contextlib import contextmanager

import pytest
from celery import Celery
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from fraud.sift.models import SiftOutbox, SiftSettings
from tests.fakes.sift_server import FakeSift, sift_server_fixture  # noqa: F401

LOGIN = "/accounts/login/"
ALL_TOGGLES = {
    "publish_registrations": True,
    "publish_credential_updates": True,
    "publish_profile_updates": True,
    "publish_logins": True,
    "publish_logouts": True,
    "publish_verifications": True,
}


class SiftFixture:
    """Configure Sift (``configure(**fields)``) and look at what it did."""

    def __init__(self, server: FakeSift):
        self.server = server

    def configure(self, **fields) -> SiftSettings:
        fields.setdefault("api_key", self.server.api_key)
        SiftSettings.objects.update_or_create(pk=1, defaults=fields)
        SiftSettings.clear_cache()
        return SiftSettings.load()

    def rows(self, event_type: str | None = None):
        rows = SiftOutbox.objects.order_by("pk")
        return rows.filter(event_type=event_type) if event_type else rows

    def events(self, event_type: str | None = None) -> list[dict]:
        return self.server.events(event_type)


@contextmanager
def celery_app(**conf):
    """A Celery app made current for the block (shared tasks resolve against it)."""
    from config.celery import app as site_app

    app = Celery("ciam-test", set_as_current=False)
    app.conf.update(
        {
            "task_always_eager": False,
            "broker_connection_timeout": 1.0,
            "broker_connection_retry": False,
            "broker_connection_retry_on_startup": False,
            "broker_transport_options": {"max_retries": 0, "socket_connect_timeout": 1.0},
            "task_acks_late": True,
            "worker_prefetch_multiplier": 1,
            **conf,
        }
    )
    app.set_current()
    try:
        yield app
    finally:
        app.close()
        site_app.set_current()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(name="celery_eager")
def celery_eager_fixture():
    """Tasks run in-process, as in the embedded default (even when REDIS_URL is set)."""
    with celery_app(task_always_eager=True, broker_url="memory://") as app:
        yield app


@pytest.fixture(name="dead_broker")
def dead_broker_fixture():
    """A broker nobody listens on: publishing a task fails."""
    with celery_app(broker_url=f"redis://127.0.0.1:{closed_port()}/0") as app:
        yield app


@pytest.fixture(name="sift")
def sift_fixture(db, settings, sift_server, celery_eager):
    """Sift pointed at the fake server; nothing configured until ``sift.configure()``."""
    settings.CIAM_SIFT_API_URL = sift_server.url
    return SiftFixture(sift_server)


def login(client, identifier: str, password: str, **extra):
    return client.post(LOGIN, {"login": identifier, "password": password}, **extra)


def totp_code(device: TOTPDevice) -> str:
    """The code the user's authenticator app shows now."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"
