"""Breached password detection against a fake Pwned Passwords API on loopback: k-anonymity,
padding, caching, outages; refusal at sign-up, password change and reset; the sign-in that is
sent to the reset page; notifications at most once an hour per user."""

from __future__ import annotations

import logging
import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client

from fraud.events.models import EventType, SecurityEvent
from fraud.protection import breached, signals
from fraud.protection import hibp as hibp_api
from fraud.protection.models import AttackProtectionSettings
from tests.fakes.hibp import sha1_hex
from tests.fraud.protection_support import (  # noqa: F401
    BROWSER,
    LOGIN,
    SIGNUP,
    browser,
    hibp_fixture,
    protect_fixture,
    received_fixture,
)

pytestmark = pytest.mark.django_db

LEAKED = "Tr0ub4dor&3 but leaked"
FRESH = "a fresh and unusual passphrase 31"
IP = "203.0.113.10"


@pytest.fixture
def detection(protect, hibp):
    protect(breached_enabled=True)
    hibp.add(LEAKED, 3861)
    return hibp


# --- The range API ---------------------------------------------------------------------------


def test_only_five_hex_characters_leave_the_site_with_padding_asked(detection):
    assert breached.check_password(LEAKED).breached
    (request,) = detection.received
    assert request.path == f"/range/{sha1_hex(LEAKED)[:5]}"
    assert request.header("Add-Padding") == "true"
    assert sha1_hex(LEAKED)[5:] not in request.path + str(request.query) + request.body.decode()
    assert LEAKED not in str(request)


def test_count_and_reason(detection):
    check = breached.check_password(LEAKED)
    assert (check.source, check.count, check.reason) == ("hibp", 3861, "found in 3,861 breaches")
    assert not breached.check_password(FRESH).breached


def test_zero_count_padding_lines_are_ignored(detection):
    detection.pad_with(FRESH)  # its suffix is in the answer, with count 0
    check = breached.check_password(FRESH)
    assert not check.breached and check.checked_online


def test_answers_are_cached_per_prefix(detection):
    breached.check_password(LEAKED)
    breached.check_password(LEAKED)
    assert detection.ranges_asked() == [sha1_hex(LEAKED)[:5]]


@pytest.mark.parametrize("outage", ["http_500", "timeout", "garbage", "refused"])
def test_an_outage_fails_open_and_is_logged(detection, caplog, settings, outage):
    if outage == "http_500":
        detection.status = 500
    elif outage == "timeout":
        detection.delay = 1.0  # the read timeout is 0.5 s in these tests
    elif outage == "garbage":
        detection.body_override = b"<html>maintenance</html>"
    else:
        settings.CIAM_HIBP_API_URL = "http://127.0.0.1:9"  # nothing listens there
    with caplog.at_level(logging.ERROR, logger="ciam.fraud.protection"):
        check = breached.check_password(LEAKED)
    assert not check.breached and not check.checked_online
    assert "Pwned Passwords" in caplog.text and "failing open" in caplog.text


def test_after_an_outage_the_api_is_left_alone_for_a_while(detection):
    detection.status = 503
    breached.check_password(LEAKED)
    detection.status = 200
    assert not breached.check_password(LEAKED).breached  # still backing off
    assert len(detection.received) == 1


def test_the_common_password_list_applies_offline_and_with_detection_off(protect, settings):
    settings.CIAM_HIBP_API_URL = "http://127.0.0.1:9"
    protect(breached_enabled=False)
    check = breached.check_password("password123")
    assert check.breached and check.source == "common"


def test_the_test_prefix_counts_as_breached_without_a_call(detection, protect):
    protect(breached_test_prefix="BREACHED-TEST-")
    check = breached.check_password("BREACHED-TEST-anything at all")
    assert check.breached and check.reason == "test prefix"
    assert detection.received == []


def test_the_test_prefix_is_validated(protect):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="at least 8 characters"):
        protect(breached_test_prefix="abc")


# --- Sign-up, password change, password reset --------------------------------------------------


def test_sign_up_refuses_a_breached_password_with_a_clear_message(detection):
    response = Client(**BROWSER).post(SIGNUP, {"email": "new@example.com", "password1": LEAKED})
    assert response.status_code == 400
    assert "appeared in a data breach" in response.content.decode()
    event = SecurityEvent.objects.get(type=EventType.BREACHED_PASSWORD)
    assert event.data["flow"] == "signup" and event.data["refused"] is True

    response = Client(**BROWSER).post(SIGNUP, {"email": "new@example.com", "password1": FRESH})
    assert response.status_code == 302


def test_password_change_refuses_a_breached_password(detection, user, password):
    client = Client(**BROWSER)
    client.force_login(user)
    response = client.post(
        "/accounts/password/change/",
        {"oldpassword": password, "password1": LEAKED, "password2": LEAKED},
    )
    assert response.status_code == 400
    assert "appeared in a data breach" in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(password)


def _reset_link(client: Client, email: str) -> str:
    mail.outbox.clear()
    client.post("/accounts/password/reset/", {"email": email})
    (message,) = mail.outbox
    link = re.search(r"https?://[^/]+(/accounts/password/reset/key/\S+/)", message.body).group(1)
    return client.get(link, follow=True).request["PATH_INFO"]


def test_password_reset_refuses_a_breached_password(detection, user, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    client = Client(**BROWSER)
    set_password_url = _reset_link(client, user.email)
    response = client.post(set_password_url, {"password1": LEAKED, "password2": LEAKED})
    assert response.status_code == 400
    assert "appeared in a data breach" in response.content.decode()
    response = client.post(set_password_url, {"password1": FRESH, "password2": FRESH})
    assert response.status_code == 302


def test_the_validator_helps(detection):
    assert "data breach" in breached.BreachedPasswordValidator().get_help_text()


# --- Sign-in with a breached password ---------------------------------------------------------


def sign_in(identifier: str, secret: str, ip: str = IP):
    return browser(ip).post(LOGIN, {"login": identifier, "password": secret})


@pytest.fixture
def leaked_user(make_user):
    return make_user("bob", "bob@example.com", password=LEAKED)


def test_sign_in_is_refused_and_sent_to_the_reset_page(detection, leaked_user, received):
    detected = received(signals.breached_password_detected)
    response = sign_in("bob", LEAKED)
    assert response.status_code == 403
    page = response.content.decode()
    assert "3,861 data breaches" in page
    assert 'href="/accounts/password/reset/"' in page and "Reset your password" in page
    assert "_auth_user_id" not in response.client.session

    (sent,) = detected
    assert sent["user"] == leaked_user and sent["flow"] == "login" and sent["blocked"]
    assert sent["reset_url"] == "http://testserver/accounts/password/reset/"
    assert sent["notify_user"] and sent["notify_admins"]
    assert sent["admin_frequency"] == "immediately"
    event = SecurityEvent.objects.get(type=EventType.BREACHED_PASSWORD)
    assert event.user == leaked_user and event.reason == "found in 3,861 breaches"
    denied = SecurityEvent.objects.get(type=EventType.LOGIN_DENIED)
    assert denied.data["denied_by"] == "breached_password"


def test_notifications_at_most_once_an_hour_per_user(detection, leaked_user, received):
    detected = received(signals.breached_password_detected)
    for _ in range(3):
        assert sign_in("bob", LEAKED).status_code == 403
    assert len(detected) == 1
    assert SecurityEvent.objects.filter(type=EventType.BREACHED_PASSWORD).count() == 1


def test_without_blocking_the_sign_in_goes_through_and_the_risk_engine_hears_of_it(
    detection, protect, leaked_user, received
):
    protect(breached_block_login=False, breached_admin_frequency="weekly")
    detected = received(signals.breached_password_detected)
    response = sign_in("bob", LEAKED)
    assert response.status_code == 302
    assert detected[0]["blocked"] is False and detected[0]["admin_frequency"] == "weekly"
    event = SecurityEvent.objects.get(type=EventType.LOGIN_SUCCEEDED)
    assert "breached_password" in {s["key"] for s in event.signals}


def test_a_wrong_password_is_never_looked_up(detection, leaked_user):
    assert sign_in("bob", "not the password").status_code == 400
    assert detection.received == []


def test_a_good_password_signs_in(detection, make_user):
    make_user("carol", password=FRESH)
    assert sign_in("carol", FRESH).status_code == 302


def forget_range(password: str) -> None:
    cache.delete(hibp_api._cache_key(sha1_hex(password)[:5]))


def test_a_clean_password_is_not_looked_up_again_for_a_day(detection, make_user):
    carol = make_user("carol", password=FRESH)
    assert sign_in("carol", FRESH).status_code == 302
    assert detection.ranges_asked() == [sha1_hex(FRESH)[:5]]
    forget_range(FRESH)  # other passwords rarely share its prefix
    assert sign_in("carol", FRESH).status_code == 302
    assert len(detection.ranges_asked()) == 1
    # A new password is looked up again.
    carol.set_password(FRESH + " renewed")
    carol.save()
    assert sign_in("carol", FRESH + " renewed").status_code == 302
    assert detection.ranges_asked()[1:] == [sha1_hex(FRESH + " renewed")[:5]]


def test_a_lookup_during_an_outage_is_not_remembered_as_clean(detection, make_user):
    make_user("carol", password=FRESH)
    detection.status = 500
    assert sign_in("carol", FRESH).status_code == 302
    detection.status = 200
    hibp_api.reset_outage()
    assert sign_in("carol", FRESH).status_code == 302
    assert detection.ranges_asked()[-1] == sha1_hex(FRESH)[:5]
    assert len(detection.ranges_asked()) == 2


def test_the_test_prefix_lets_an_admin_try_the_flow(detection, protect, make_user):
    protect(breached_test_prefix="BREACHED-TEST-")
    make_user("dave", password="BREACHED-TEST-my admin trial")
    response = sign_in("dave", "BREACHED-TEST-my admin trial")
    assert response.status_code == 403 and "Reset your password" in response.content.decode()


def test_with_detection_off_nothing_is_checked_at_sign_in(hibp, leaked_user):
    assert not AttackProtectionSettings.load().breached_enabled
    hibp.add(LEAKED)
    assert sign_in("bob", LEAKED).status_code == 302
    assert hibp.received == []
