"""The security event log through the hosted pages: one row per sign-up, sign-in attempt,
step-up, deny, logout, password change or reset and MFA change, with what a Security Center
needs on it."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client, RequestFactory
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from ciam import signals as ciam_signals
from ciam.device import hash_identifier
from ciam.verdicts import Refusal, Verdict
from fraud.events.models import SecurityEvent
from fraud.events.record import record_event
from tests.fraud.conftest import FIREFOX, LONDON, EventType, last_event

pytestmark = pytest.mark.django_db

STEP_UP = reverse("ciam:step_up")
SECURITY = reverse("ciam:account_security")


def types() -> list[str]:
    return list(SecurityEvent.objects.order_by("pk").values_list("type", flat=True))


def totp_code(device: TOTPDevice) -> str:
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def test_a_successful_sign_in_is_one_row_with_everything_on_it(user, sign_in, geoip):
    browser = Client()
    assert sign_in(browser, LONDON, identifier="Alice@example.com").status_code == 302

    assert types() == [EventType.LOGIN_SUCCEEDED]
    event = last_event()
    assert event.user == user
    assert event.identifier_hash == hash_identifier("alice@example.com")
    assert event.ip == LONDON
    assert event.network == "81.2.69.0/24"
    assert event.country == "GB"
    assert event.data["location"] == "London, United Kingdom"
    assert event.user_agent == FIREFOX
    assert len(event.device_hash) == 64
    assert event.score == 0
    assert (event.verdict, event.policy, event.enforced) == ("allow", "Default", True)
    assert event.data["method"] == "password"


def test_a_failed_sign_in_stores_the_identifier_hashed_and_no_user(user, sign_in):
    response = sign_in(Client(), "203.0.113.5", identifier="alice", secret="wrong")
    assert response.status_code == 400
    event = last_event()
    assert event.type == EventType.LOGIN_FAILED
    assert event.user is None
    assert event.identifier_hash == hash_identifier("alice")
    assert "alice" not in str(event.data) + event.reason
    assert event.reason == "wrong credentials"
    assert (event.ip, event.verdict) == ("203.0.113.5", "")


def test_an_unknown_account_is_logged_the_same_way(db, sign_in):
    sign_in(Client(), "203.0.113.5", identifier="nobody@example.com", secret="x")
    event = last_event()
    assert event.type == EventType.LOGIN_FAILED
    assert event.identifier_hash == hash_identifier("nobody@example.com")


def test_a_refusal_before_the_password_check(user, sign_in, connect_receiver):
    connect_receiver(
        ciam_signals.authentication_attempted,
        lambda sender, **kw: Refusal("Too many attempts.", code="ip_throttled", source="test"),
    )
    response = sign_in(Client(), "203.0.113.5")
    assert response.status_code == 429
    assert types() == [EventType.LOGIN_BLOCKED]  # no login_failed: the password was not checked
    event = last_event()
    assert event.reason == "ip_throttled"
    assert event.identifier_hash == hash_identifier("alice")
    assert event.data == {"flow": "login", "source": "test", "status": 429, "retry_after": None}


def test_a_deny(user, sign_in, connect_receiver):
    connect_receiver(
        ciam_signals.risk_check_requested,
        lambda sender, context, **kw: Verdict.deny(source="site", reason="blocked country"),
    )
    sign_in(Client(), "203.0.113.5")
    assert types() == [EventType.LOGIN_DENIED]
    event = last_event()
    assert (event.user, event.verdict, event.reason) == (user, "deny", "blocked country")
    assert event.data["denied_by"] == "site"


def test_a_step_up_passed_then_failed(user, sign_in, connect_receiver):
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    connect_receiver(
        ciam_signals.risk_check_requested,
        # Forced: asked again even though the browser was just verified.
        lambda sender, context, **kw: Verdict.step_up(
            source="site", reason="unusual", data={"force": True}
        ),
    )
    browser = Client()
    assert sign_in(browser, "203.0.113.5")["Location"] == STEP_UP
    response = browser.post(STEP_UP, {"token": totp_code(device)}, REMOTE_ADDR="203.0.113.5")
    assert response["Location"] == SECURITY
    assert types() == [
        EventType.STEP_UP_REQUESTED,
        EventType.STEP_UP_PASSED,
        EventType.LOGIN_SUCCEEDED,
    ]
    requested, passed, succeeded = SecurityEvent.objects.order_by("pk")
    assert (requested.verdict, requested.policy, requested.reason) == ("step_up", "site", "unusual")
    assert passed.data["second_factor"] == "totp"
    # The sign-in's row still carries the risk check, two requests later.
    assert (succeeded.verdict, succeeded.policy) == ("step_up", "site")
    assert succeeded.data["step_up_skipped"] is False

    browser.post("/accounts/logout/")
    sign_in(browser, "203.0.113.5")
    browser.post(STEP_UP, {"token": "000000" if totp_code(device) != "000000" else "111111"})
    assert last_event().type == EventType.STEP_UP_FAILED


def test_logout(user, sign_in):
    browser = Client()
    sign_in(browser, "203.0.113.5")
    browser.post("/accounts/logout/", REMOTE_ADDR="203.0.113.6")
    event = last_event()
    assert (event.type, event.user, event.ip) == (EventType.LOGOUT, user, "203.0.113.6")


def test_signup(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    response = Client().post(
        reverse("account_signup"),
        {"email": "new@example.com", "password1": "a long enough passphrase 9"},
        REMOTE_ADDR="203.0.113.8",
    )
    assert response.status_code == 302
    event = last_event()
    assert event.type == EventType.SIGNUP
    assert event.user.email == "new@example.com"
    assert event.ip == "203.0.113.8"


def test_password_change(user, sign_in, password):
    browser = Client()
    sign_in(browser, "203.0.113.5")
    response = browser.post(
        reverse("account_change_password"),
        {
            "oldpassword": password,
            "password1": "another long passphrase 7",
            "password2": "another long passphrase 7",
        },
    )
    assert response.status_code == 302
    assert last_event().type == EventType.PASSWORD_CHANGED


def test_password_set(user):
    user.set_unusable_password()
    user.save()
    browser = Client()
    browser.force_login(user)
    response = browser.post(
        reverse("account_set_password"),
        {"password1": "another long passphrase 7", "password2": "another long passphrase 7"},
    )
    assert response.status_code == 302
    event = last_event()
    assert (event.type, event.data) == (EventType.PASSWORD_CHANGED, {"action": "set"})


def test_password_reset(user):
    browser = Client()
    browser.post(reverse("account_reset_password"), {"email": "alice@example.com"})
    (message,) = mail.outbox
    link = re.search(r"https?://[^/]+(/accounts/password/reset/key/\S+/)", message.body).group(1)
    form_url = browser.get(link)["Location"]
    response = browser.post(
        form_url,
        {"password1": "another long passphrase 7", "password2": "another long passphrase 7"},
    )
    assert response.status_code == 302
    event = last_event()
    assert (event.type, event.user) == (EventType.PASSWORD_RESET, user)


@pytest.mark.parametrize(
    "kind, expected",
    [
        ("totp", EventType.MFA_CHANGED),
        ("backup_codes", EventType.MFA_CHANGED),
        ("passkey", EventType.PASSKEY_CHANGED),
    ],
)
def test_second_factor_changes(user, kind, expected):
    # ciam's and passkeys' own tests drive the pages that send this signal.
    request = RequestFactory().post("/", REMOTE_ADDR="203.0.113.5")
    ciam_signals.mfa_device_changed.send(
        sender=type(user), request=request, user=user, kind=kind, action="added"
    )
    event = last_event()
    assert (event.type, event.user, event.ip) == (expected, user, "203.0.113.5")
    assert event.data == {"kind": kind, "action": "added"}


def test_record_event_keeps_hostile_input_bounded(user):
    request = RequestFactory().get(
        "/", REMOTE_ADDR="fe80::1%eth0", HTTP_USER_AGENT="A\x00" + "x" * 10_000
    )
    event = record_event(EventType.LOGIN_FAILED, request=request, identifier="x" * 5000)
    event.refresh_from_db()
    assert event.ip == "fe80::1"
    assert len(event.user_agent) == 512
    assert "\x00" not in event.user_agent
    assert len(event.identifier_hash) == 64


def test_record_event_survives_a_database_error(user, caplog, monkeypatch):
    from django.db import DatabaseError

    def broken(*args, **kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(SecurityEvent, "save", broken)
    assert record_event(EventType.LOGOUT, user=user) is None
    assert "could not be written" in caplog.text


def test_a_login_still_works_when_the_event_table_is_unwritable(user, sign_in, monkeypatch, caplog):
    from django.db import DatabaseError

    def broken(*args, **kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(SecurityEvent, "save", broken)
    browser = Client()
    assert sign_in(browser, "203.0.113.5").status_code == 302
    assert browser.session["_auth_user_id"] == str(user.pk)
