"""The sign count: stored under a row lock, a count that does not move forward refuses the
sign-in as a suspected clone (flagged, logged, signalled); synced passkeys that always say 0
are accepted."""

from __future__ import annotations

import logging
import threading

import pytest
from django.contrib.auth import SESSION_KEY
from django.db import connection
from django.test import Client

from ciam import signals as ciam_signals
from passkeys.signals import passkey_clone_suspected

from .authenticator import SoftAuthenticator
from .conftest import post_json, sign_in_with_passkey


@pytest.fixture
def clone_alerts(connect_receiver):
    seen = []
    connect_receiver(
        passkey_clone_suspected,
        lambda sender, request, user, passkey, stored_sign_count, received_sign_count, **kw: (
            seen.append((user, passkey.pk, stored_sign_count, received_sign_count))
        ),
    )
    return seen


@pytest.fixture
def denials(connect_receiver):
    """Verdicts of ``login_denied``: what the security event log records."""
    seen = []
    connect_receiver(
        ciam_signals.login_denied,
        lambda sender, request, user, context, verdict, **kw: seen.append(verdict),
    )
    return seen


@pytest.mark.django_db
def test_counter_moves_forward_on_each_sign_in(user, authenticator, add_passkey, clone_alerts):
    passkey = add_passkey(user, authenticator)
    for expected in (1, 2, 3):
        client = Client()
        assert sign_in_with_passkey(client, authenticator).status_code == 200
        passkey.refresh_from_db()
        assert passkey.sign_count == expected
    assert clone_alerts == []


@pytest.mark.django_db
def test_counter_going_backwards_is_refused_as_a_clone(
    client, user, authenticator, add_passkey, clone_alerts, denials, caplog
):
    passkey = add_passkey(user, authenticator)
    passkey.sign_count = 41
    passkey.save()

    with caplog.at_level(logging.WARNING, logger="ciam.passkeys"):
        response = sign_in_with_passkey(client, authenticator, sign_count=17)

    assert response.status_code == 403
    assert response.json()["code"] == "clone_suspected"
    assert "copied" in response.json()["error"]
    assert client.session.get(SESSION_KEY) is None
    assert clone_alerts == [(user, passkey.pk, 41, 17)]
    assert "possible clone" in caplog.text
    (denied,) = denials
    assert denied.source == "passkeys"
    assert "passkey_clone_suspected" in denied.signals
    # The security event log (fraud) records it as a denied sign-in.
    from fraud.events.models import EventType, SecurityEvent

    event = SecurityEvent.objects.get(user=user, type=EventType.LOGIN_DENIED)
    assert "clone" in event.reason
    passkey.refresh_from_db()
    assert passkey.sign_count == 41  # the clone's count is not stored
    assert passkey.clone_suspected_at is not None


@pytest.mark.django_db
def test_equal_counter_is_a_clone_too(client, user, authenticator, add_passkey, clone_alerts):
    passkey = add_passkey(user, authenticator)
    passkey.sign_count = 5
    passkey.save()
    assert sign_in_with_passkey(client, authenticator, sign_count=5).status_code == 403
    assert len(clone_alerts) == 1


@pytest.mark.django_db
def test_counter_dropping_to_zero_is_a_clone(
    client, user, authenticator, add_passkey, clone_alerts
):
    passkey = add_passkey(user, authenticator)
    passkey.sign_count = 9
    passkey.save()
    assert sign_in_with_passkey(client, authenticator, sign_count=0).status_code == 403
    assert len(clone_alerts) == 1


@pytest.mark.django_db
def test_synced_passkeys_that_always_say_zero_are_accepted(user, add_passkey, clone_alerts):
    synced = SoftAuthenticator(counter=False, backup_eligible=True, backed_up=True)
    passkey = add_passkey(user, synced)
    for _ in range(3):
        assert sign_in_with_passkey(Client(), synced).status_code == 200
    passkey.refresh_from_db()
    assert passkey.sign_count == 0
    assert passkey.backup_eligible and passkey.backed_up
    assert clone_alerts == []


@pytest.mark.django_db
def test_a_forged_answer_never_raises_a_clone_alert(
    client, user, authenticator, add_passkey, clone_alerts
):
    passkey = add_passkey(user, authenticator)
    passkey.sign_count = 10
    passkey.save()
    options = post_json(client, "passkeys:login_options").json()
    assertion = authenticator.get(options, sign_count=1)
    assertion["response"]["signature"] = assertion["response"]["signature"][:-4] + "AAAA"
    response = post_json(client, "passkeys:login", {"credential": assertion})
    assert response.json()["code"] == "bad_signature"
    assert clone_alerts == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sign_ins_racing_with_one_count_let_one_through(
    require_postgres, user, authenticator, add_passkey, clone_alerts
):
    """A copied key used at the same moment as the real one: both answers carry count 1.
    The row lock makes the second one see the first one's count, so it is refused."""
    add_passkey(user, authenticator)
    clients = [Client(), Client()]
    answers = []
    stored = authenticator.credentials[-1]
    for client in clients:
        options = post_json(client, "passkeys:login_options").json()
        answers.append(authenticator.get(options, credential=stored, sign_count=1))
    barrier = threading.Barrier(2)
    statuses = []

    def submit(client, answer):
        try:
            barrier.wait()
            statuses.append(post_json(client, "passkeys:login", {"credential": answer}).status_code)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=submit, args=pair) for pair in zip(clients, answers, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 403]
    assert len(clone_alerts) == 1
