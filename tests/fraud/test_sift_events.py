"""Every Sift event type, end to end: a real action through the hosted pages fires the real
signal, the outbox row is written, and the event reaches the fake Sift (which checks it against
SIFT.md). Toggles off, or no API key: no row, no task, no request."""

from __future__ import annotations

import hashlib
import re
import time

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from ciam import signals
from ciam.verdicts import Verdict
from fraud.sift.models import SiftOutbox
from tests.fraud.sift_support import (  # noqa: F401
    ALL_TOGGLES,
    celery_eager_fixture,
    dead_broker_fixture,
    login,
    sift_fixture,
    sift_server_fixture,
    totp_code,
)

pytestmark = pytest.mark.django_db(transaction=True)

UA = "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"
IP = "203.0.113.9"
NEW_PASSWORD = "another horse battery staple 43"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def browser() -> Client:
    return Client(REMOTE_ADDR=IP, HTTP_USER_AGENT=UA, HTTP_ACCEPT_LANGUAGE="en-GB")


def signed_in(user) -> Client:
    client = browser()
    client.force_login(user)
    return client


def only(events: list[dict]) -> dict:
    assert len(events) == 1, events
    return events[0]


# -- each event type ---------------------------------------------------------------------------


def test_login_success_is_published_with_hashed_id_uuid_session_and_time(sift, user, password):
    sift.configure(publish_logins=True)
    before = int(time.time() * 1000)
    response = login(browser(), "alice", password)
    assert response.status_code == 302
    event = only(sift.events("$login"))
    assert event["$login_status"] == "$success"
    assert event["$user_id"] == sha256("alice")
    assert event["user_uuid"] == str(user.pk)
    assert re.fullmatch(r"[0-9a-f]{32}", event["$session_id"])
    assert before <= event["$time"] <= int(time.time() * 1000)
    assert event["$api_key"] == sift.server.api_key
    assert "$failure_reason" not in event
    row = sift.rows("$login").get()
    assert row.status == SiftOutbox.Status.SENT
    assert "$api_key" not in row.payload


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("alice", "$wrong_password"),
        ("alice@example.com", "$wrong_password"),
        ("nobody", "$account_unknown"),
        ("nobody@example.com", "$account_unknown"),
    ],
)
def test_failed_login_says_why(sift, user, typed, reason):
    sift.configure(publish_logins=True)
    response = login(browser(), typed, "not the password")
    assert response.status_code == 400
    event = only(sift.events("$login"))
    assert event["$login_status"] == "$failure"
    assert event["$failure_reason"] == reason
    if reason == "$account_unknown":
        assert event["$user_id"] == sha256(typed)  # the identifier typed, hashed
        assert "user_uuid" not in event
    else:
        assert event["$user_id"] == sha256("alice")  # the account's, like its successes
        assert event["user_uuid"] == str(user.pk)


def test_failed_login_of_a_disabled_account(sift, make_user, password):
    make_user("bob", is_active=False)
    sift.configure(publish_logins=True)
    login(browser(), "bob", password)
    assert only(sift.events("$login"))["$failure_reason"] == "$account_disabled"


def test_cookieless_failed_attempts_create_no_session(sift, user):
    from django.contrib.sessions.models import Session

    sift.configure(publish_logins=True)
    for _ in range(3):
        login(Client(), "alice", "wrong")
    assert len(sift.events("$login")) == 3
    assert Session.objects.count() == 0


def test_logout(sift, user):
    sift.configure(publish_logouts=True)
    client = signed_in(user)
    client.post("/accounts/logout/")
    event = only(sift.events("$logout"))
    assert event["$user_id"] == sha256("alice")
    assert "$session_id" in event


def test_signup_publishes_create_account_and_email_confirmation_a_verification(sift):
    sift.configure(
        publish_registrations=True,
        publish_verifications=True,
        include_profile=True,
        include_device=True,
    )
    client = browser()
    response = client.post(
        "/accounts/signup/", {"email": "carol@example.com", "password1": NEW_PASSWORD}
    )
    assert response.status_code == 302, response.content[:300]
    created = only(sift.events("$create_account"))
    assert created["$user_email"] == "carol@example.com"
    assert created["$ip"] == IP
    assert created["$browser"] == {"$user_agent": UA, "$accept_language": "en-GB"}

    key = re.search(r"/accounts/confirm-email/([^/\s]+)/", mail.outbox[-1].body).group(1)
    client.post(f"/accounts/confirm-email/{key}/")
    verification = only(sift.events("$verification"))
    assert verification["$status"] == "$success"
    assert verification["$verification_type"] == "$email"
    assert verification["$verified_event"] == "$create_account"
    assert verification["$verified_value"] == "carol@example.com"
    assert verification["$session_id"] == created["$session_id"]


def test_password_change_and_set(sift, user, password):
    sift.configure(publish_credential_updates=True)
    client = signed_in(user)
    response = client.post(
        "/accounts/password/change/",
        {"oldpassword": password, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    changed = only(sift.events("$update_password"))
    assert (changed["$reason"], changed["$status"]) == ("$user_update", "$success")

    user.set_unusable_password()
    user.save()
    client = signed_in(user)
    client.post("/accounts/password/set/", {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    set_event = sift.events("$update_password")[-1]
    assert (set_event["$reason"], set_event["$status"]) == ("$user_update", "$success")
    assert len(sift.events("$update_password")) == 2


def test_password_reset_requested_then_done(sift, user):
    sift.configure(publish_credential_updates=True, include_profile=True)
    client = browser()
    client.post("/accounts/password/reset/", {"email": "alice@example.com"})
    pending = only(sift.events("$update_password"))
    assert (pending["$reason"], pending["$status"]) == ("$forgot_password", "$pending")
    assert pending["$user_email"] == "alice@example.com"

    link = re.search(r"http://testserver(/accounts/password/reset/key/\S+/)", mail.outbox[-1].body)
    form_page = client.get(link.group(1), follow=True)
    client.post(
        form_page.redirect_chain[-1][0],
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    done = sift.events("$update_password")[-1]
    assert (done["$reason"], done["$status"]) == ("$forgot_password", "$success")


def test_reset_request_for_an_unknown_address_sends_nothing(sift, user):
    sift.configure(publish_credential_updates=True)
    browser().post("/accounts/password/reset/", {"email": "nobody@example.com"})
    assert sift.events() == []


def test_email_change_publishes_update_account(sift, user):
    sift.configure(publish_profile_updates=True, include_profile=True)
    EmailAddress.objects.create(user=user, email="alice2@example.com", verified=True)
    client = signed_in(user)
    client.post("/accounts/email/", {"action_primary": "", "email": "alice2@example.com"})
    event = only(sift.events("$update_account"))
    assert event["$user_email"] == "alice2@example.com"
    assert event["user_uuid"] == str(user.pk)


def test_step_up_publishes_pending_then_the_outcome(sift, user, password, connect_receiver):
    sift.configure(publish_verifications=True)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    connect_receiver(
        signals.risk_check_requested, lambda sender, context, **kw: Verdict.step_up(source="t")
    )
    client = browser()
    assert login(client, "alice", password)["Location"] == "/accounts/step-up/"
    pending = only(sift.events("$verification"))
    assert (pending["$status"], pending["$verified_event"]) == ("$pending", "$login")

    wrong = f"{(int(totp_code(device)) + 1) % 10**6:06d}"
    client.post("/accounts/step-up/", {"token": wrong})
    # django-otp throttles after a failure; a user would wait, the test lifts it.
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_count=0, throttling_failure_timestamp=None
    )
    client.post("/accounts/step-up/", {"token": totp_code(device)})
    failed, passed = sift.events("$verification")[1:]
    assert (failed["$status"], failed["$verification_type"]) == ("$failure", "$app_tfa")
    assert (passed["$status"], passed["$verification_type"]) == ("$success", "$app_tfa")
    assert pending["$session_id"] == passed["$session_id"]


# -- toggles -----------------------------------------------------------------------------------


def exercise_everything(user, password):
    """Sign up and confirm the address, sign in (good and bad), change the password and the
    email address, log out, ask for a password reset."""
    client = browser()
    client.post("/accounts/signup/", {"email": "dave@example.com", "password1": NEW_PASSWORD})
    key = re.search(r"/accounts/confirm-email/([^/\s]+)/", mail.outbox[-1].body).group(1)
    client.post(f"/accounts/confirm-email/{key}/")
    client = browser()
    login(client, "alice", "wrong")
    login(client, "alice", password)
    client.post(
        "/accounts/password/change/",
        {"oldpassword": password, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    EmailAddress.objects.create(user=user, email="alice.new@example.com", verified=True)
    client.post("/accounts/email/", {"action_primary": "", "email": "alice.new@example.com"})
    client.post("/accounts/logout/")
    browser().post("/accounts/password/reset/", {"email": "alice@example.com"})


EXPECTED = {
    "publish_registrations": {"$create_account"},
    "publish_logins": {"$login"},
    "publish_credential_updates": {"$update_password"},
    "publish_logouts": {"$logout"},
    "publish_profile_updates": {"$update_account"},
    "publish_verifications": {"$verification"},
}


@pytest.mark.parametrize("toggle", sorted(EXPECTED))
def test_each_toggle_publishes_only_its_events(sift, user, password, toggle):
    sift.configure(**{toggle: True})
    exercise_everything(user, password)
    assert {e["$type"] for e in sift.events()} == EXPECTED[toggle]
    assert set(SiftOutbox.objects.values_list("event_type", flat=True)) == EXPECTED[toggle]


def test_all_toggles_off_means_no_row_no_task_no_request(sift, user, password, monkeypatch):
    from fraud.sift import outbox

    dispatched = []
    monkeypatch.setattr(outbox, "dispatch", dispatched.append)
    sift.configure()  # a key, every toggle at its default (off)
    exercise_everything(user, password)
    assert SiftOutbox.objects.count() == 0
    assert dispatched == []
    assert sift.server.received == []


def test_no_api_key_means_nothing_even_with_every_toggle_on(sift, user, password):
    sift.configure(api_key="", **ALL_TOGGLES)
    exercise_everything(user, password)
    assert SiftOutbox.objects.count() == 0
    assert sift.server.received == []


# -- profile and device metadata ---------------------------------------------------------------


PROFILE = {"$user_email", "$name", "$phone", "$verification_phone_number", "$username"}


@pytest.fixture
def phone_user(make_user):
    """A user whose site stores a phone number (read from a ``phone_number`` attribute)."""
    user = make_user("erin", first_name="Erin", last_name="Smith")
    return user


def test_profile_and_device_off_send_neither(sift, user, password):
    sift.configure(publish_logins=True)
    login(browser(), "alice", password)
    event = only(sift.events("$login"))
    assert not PROFILE & set(event)
    assert "$ip" not in event and "$browser" not in event


def test_profile_on_sends_only_the_fields_each_event_lists(sift, phone_user, password, monkeypatch):
    from django.contrib.auth import get_user_model

    monkeypatch.setattr(get_user_model(), "phone_number", "+14155550123", raising=False)
    sift.configure(publish_logins=True, publish_profile_updates=True, include_profile=True)
    client = browser()
    login(client, "erin", password)
    event = only(sift.events("$login"))
    assert event["$user_email"] == "erin@example.com"
    assert event["$verification_phone_number"] == "+14155550123"
    assert event["$username"] == "erin"
    assert "$name" not in event and "$phone" not in event  # $login does not list them

    EmailAddress.objects.create(user=phone_user, email="erin2@example.com", verified=True)
    client.post("/accounts/email/", {"action_primary": "", "email": "erin2@example.com"})
    update = only(sift.events("$update_account"))
    assert update["$name"] == "Erin Smith"
    assert update["$phone"] == "+14155550123"
    assert update["$verification_phone_number"] == "+14155550123"


@pytest.mark.parametrize("phone", ["415-555-0123", "+1 415 555 0123", "+12", "0044123456789"])
def test_a_phone_that_is_not_e164_is_never_the_verification_number(
    sift, phone_user, password, monkeypatch, phone
):
    from django.contrib.auth import get_user_model

    monkeypatch.setattr(get_user_model(), "phone_number", phone, raising=False)
    sift.configure(publish_logins=True, include_profile=True)
    login(browser(), "erin", password)
    assert "$verification_phone_number" not in only(sift.events("$login"))


def test_device_on_sends_ip_and_user_agent(sift, user, password):
    sift.configure(publish_logins=True, include_device=True)
    login(browser(), "alice", password)
    event = only(sift.events("$login"))
    assert event["$ip"] == IP
    assert event["$browser"]["$user_agent"] == UA


def test_time_is_when_it_happened_not_when_it_was_delivered(sift, user, password, dead_broker):
    from fraud.sift.tasks import deliver_due

    sift.configure(publish_logins=True)
    happened = int(time.time() * 1000)
    login(browser(), "alice", password)
    time.sleep(0.05)
    delivered = int(time.time() * 1000)
    assert deliver_due() == 1
    event = only(sift.events("$login"))
    assert happened <= event["$time"] < delivered
