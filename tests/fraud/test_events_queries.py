"""What the risk engine and the event log cost a sign-in in database queries: a constant, one
history read and one insert, whatever the length of the user's history."""

from __future__ import annotations

import contextlib
import weakref
from datetime import timedelta

import pytest
from allauth.account import signals as allauth_signals
from django.contrib.auth import signals as auth_signals
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ciam import signals as ciam_signals
from fraud.events.models import EventType, SecurityEvent

pytestmark = pytest.mark.django_db

OURS = ("fraud.events.", "fraud.risk.")
IP = "203.0.113.10"


@contextlib.contextmanager
def risk_and_events_disconnected():
    """Disconnect the receivers of fraud.events and fraud.risk (found by dispatch_uid)."""
    removed = []
    for module in (ciam_signals, auth_signals, allauth_signals):
        for signal in vars(module).values():
            for key, ref, _is_async in list(getattr(signal, "receivers", [])):
                uid = key[0]
                if isinstance(uid, str) and uid.startswith(OURS):
                    func = ref() if isinstance(ref, weakref.ReferenceType) else ref
                    signal.disconnect(dispatch_uid=uid)
                    removed.append((signal, func, uid))
    assert removed
    try:
        yield
    finally:
        for signal, func, uid in removed:
            signal.connect(func, dispatch_uid=uid, weak=False)


def statements(action) -> list[str]:
    """The SQL of ``action``, without the savepoints of the test's own transaction."""
    with CaptureQueriesContext(connection) as captured:
        action()
    return [
        q["sql"]
        for q in captured.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
    ]


def inserts_into_events(sql: list[str]) -> int:
    return sum(1 for s in sql if s.startswith('INSERT INTO "ciam_fraud_securityevent"'))


@pytest.fixture
def warm_browser(user, sign_in, signed_in_before):
    """A returning user's browser, with every settings cache warm."""
    browser = signed_in_before(IP)
    sign_in(browser, IP)
    browser.post("/accounts/logout/")
    return browser


def sign_in_and_out(sign_in, browser):
    def run():
        assert sign_in(browser, IP).status_code == 302

    sql = statements(run)
    browser.post("/accounts/logout/")
    return sql


def test_a_sign_in_costs_one_history_read_and_one_insert(sign_in, warm_browser):
    with_engine = sign_in_and_out(sign_in, warm_browser)
    with risk_and_events_disconnected():
        without = sign_in_and_out(sign_in, warm_browser)
    assert inserts_into_events(with_engine) == 1
    assert len(with_engine) - len(without) == 2, "\n".join(with_engine)


def test_the_query_count_does_not_grow_with_history(user, sign_in, warm_browser):
    before = sign_in_and_out(sign_in, warm_browser)

    now = timezone.now()
    kinds = [EventType.LOGIN_SUCCEEDED, EventType.LOGIN_FAILED, EventType.STEP_UP_REQUESTED]
    SecurityEvent.objects.bulk_create(
        SecurityEvent(
            type=kinds[n % 3],
            user=user,
            created_at=now - timedelta(hours=n + 1),
            ip=f"198.51.{n % 250}.7",
            network=f"198.51.{n % 250}.0/24",
            country=["FR", "DE", "US", "BR"][n % 4],
            signals=[{"key": "new_device", "weight": 0.25, "explanation": "new device"}],
        )
        for n in range(200)
    )
    after = sign_in_and_out(sign_in, warm_browser)

    assert len(after) == len(before)
    assert inserts_into_events(after) == 1


def test_a_failed_sign_in_costs_one_insert(user, sign_in, warm_browser):
    def fail():
        assert sign_in(Client(), IP, secret="wrong").status_code == 400

    fail()  # warm
    with_log = statements(fail)
    with risk_and_events_disconnected():
        without = statements(fail)
    assert inserts_into_events(with_log) == 1
    assert len(with_log) - len(without) == 1
