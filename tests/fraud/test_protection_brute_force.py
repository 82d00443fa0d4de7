"""Brute-force protection through the hosted login form: the block at the threshold, the same
message as a wrong password, the unblock link, the ways a block ends, the allow list, and what
happens when the cache is flushed or down."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client, RequestFactory
from django.utils import timezone

from fraud.events.models import EventType, SecurityEvent
from fraud.protection import gate, signals, unblock
from fraud.protection.brute_force import pair_key
from fraud.protection.models import BruteForceBlock, UnblockToken
from fraud.risk.models import IPRule
from tests.fraud.protection_support import (  # noqa: F401
    BROWSER,
    LOGIN,
    browser,
    protect_fixture,
    received_fixture,
)

pytestmark = pytest.mark.django_db

ATTACKER = "198.51.100.7"
HOME = "203.0.113.10"
WRONG = "not the password"


def attempt(ip: str, identifier: str, secret: str):
    return browser(ip).post(LOGIN, {"login": identifier, "password": secret})


def fail(times: int, ip: str = ATTACKER, identifier: str = "alice"):
    return [attempt(ip, identifier, WRONG).status_code for _ in range(times)]


def error_text(response) -> str:
    match = re.search(r'class="ciam-alert[^"]*"[^>]*>(.*?)</div>', response.content.decode(), re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip()


def test_blocked_at_the_threshold_with_the_wrong_password_message(user, password):
    wrong = attempt(ATTACKER, "alice", WRONG)
    assert fail(9) == [400] * 9
    blocked = attempt(ATTACKER, "alice", password)  # even the right password
    assert blocked.status_code == 429
    assert error_text(blocked) == error_text(wrong)
    assert "_auth_user_id" not in blocked.client.session


def test_an_unknown_account_answers_exactly_the_same(user):
    assert fail(10, identifier="nobody@example.com") == [400] * 10
    blocked = attempt(ATTACKER, "nobody@example.com", WRONG)
    known = fail(11, identifier="alice@example.com")
    assert blocked.status_code == 429 and known[-1] == 429
    assert error_text(blocked) == error_text(attempt(ATTACKER, "alice@example.com", WRONG))


def test_the_threshold_is_the_administrators(user, protect):
    protect(brute_force_threshold=3)
    assert fail(4) == [400, 400, 400, 429]


def test_lowering_the_threshold_blocks_at_once_and_writes_the_row(user, protect, received):
    blocked = received(signals.brute_force_blocked)
    fail(5)
    protect(brute_force_threshold=3)
    assert fail(3) == [429] * 3
    block = BruteForceBlock.objects.get()
    assert block.failures == 5 and len(blocked) == 1


def test_another_ip_still_signs_in(user, password):
    fail(12)
    assert attempt(HOME, "alice", password).status_code == 302


def test_a_successful_sign_in_resets_the_pair(user, password):
    fail(9)
    assert attempt(ATTACKER, "alice", password).status_code == 302
    assert fail(9) == [400] * 9  # not blocked: the count started again


def test_one_row_one_event_one_notice_per_hour(user, received):
    blocked = received(signals.brute_force_blocked)
    fail(30)
    (block,) = BruteForceBlock.objects.all()
    assert (block.user, block.ip, block.all_ips, block.failures) == (user, ATTACKER, False, 10)
    assert block.expires_at == block.last_failure_at + timedelta(days=30)
    assert block.is_active
    assert SecurityEvent.objects.filter(type=EventType.BRUTE_FORCE_BLOCK).count() == 1
    assert SecurityEvent.objects.filter(type=EventType.LOGIN_FAILED).count() == 10
    assert SecurityEvent.objects.filter(type=EventType.LOGIN_BLOCKED).count() == 20
    (notice,) = blocked
    assert notice["user"] == user and notice["ip"] == ATTACKER and notice["block"] == block
    assert notice["identifier"] == "alice" and notice["notify_user"] is True
    assert notice["unblock_url"].startswith("http://testserver/fraud/unblock/")


def test_no_unblock_link_when_the_user_is_not_to_be_emailed(user, protect, received):
    protect(brute_force_notify_user=False)
    blocked = received(signals.brute_force_blocked)
    fail(10)
    assert blocked[0]["notify_user"] is False and blocked[0]["unblock_url"] == ""
    assert not UnblockToken.objects.exists()


def test_an_unknown_account_gets_a_block_but_no_email(db, received):
    blocked = received(signals.brute_force_blocked)
    fail(10, identifier="ghost@example.com")
    assert blocked[0]["user"] is None and blocked[0]["unblock_url"] == ""
    assert BruteForceBlock.objects.get().user is None


def test_account_lockout_blocks_every_ip(user, password, protect):
    protect(brute_force_lock_all_ips=True)
    for n in range(10):
        assert attempt(f"198.51.100.{n + 1}", "alice", WRONG).status_code == 400
    assert attempt(HOME, "alice", password).status_code == 429
    block = BruteForceBlock.objects.get()
    assert block.all_ips and block.failures == 10


def test_with_account_lockout_a_success_resets_the_count_from_every_ip(user, password, protect):
    protect(brute_force_lock_all_ips=True)
    for n in range(9):
        attempt(f"198.51.100.{n + 1}", "alice", WRONG)
    assert attempt(HOME, "alice", password).status_code == 302
    codes = [attempt(f"198.51.101.{n + 1}", "alice", WRONG).status_code for n in range(9)]
    assert codes == [400] * 9


def test_account_lockout_from_one_ip_writes_one_row(user, protect):
    protect(brute_force_lock_all_ips=True)
    assert fail(12) == [400] * 10 + [429] * 2
    assert BruteForceBlock.objects.get().all_ips


def test_blocking_off_records_and_notifies_but_lets_attempts_through(user, protect, received):
    protect(brute_force_block=False)
    blocked = received(signals.brute_force_blocked)
    assert fail(12) == [400] * 12
    assert BruteForceBlock.objects.count() == 1 and len(blocked) == 1


def test_protection_off_counts_nothing(user, protect):
    protect(brute_force_enabled=False)
    assert fail(15) == [400] * 15
    assert not BruteForceBlock.objects.exists()


def test_the_allow_list_is_never_blocked(user, password):
    IPRule.objects.create(network="198.51.100.0/24", action="allow", note="office")
    assert fail(15) == [400] * 15
    assert attempt(ATTACKER, "alice", password).status_code == 302
    assert not BruteForceBlock.objects.exists()


def test_rotating_through_an_ipv6_64_is_one_client(user, password, received, settings):
    """A host handed a /64 cannot reset the count by changing its address."""
    settings.CIAM_TRUSTED_PROXY_COUNT = 0
    blocked = received(signals.brute_force_blocked)
    codes = [attempt(f"2001:db8:1:2::{n:x}", "alice", WRONG).status_code for n in range(1, 13)]
    assert codes == [400] * 10 + [429] * 2
    assert attempt("2001:db8:1:2::ffff", "alice", password).status_code == 429
    block = BruteForceBlock.objects.get()
    assert (block.ip, block.failures) == ("2001:db8:1:2::", 10)
    assert len(blocked) == 1
    # The neighbouring /64 is another client.
    assert attempt("2001:db8:1:3::1", "alice", password).status_code == 302


def test_an_ipv6_allow_list_entry_still_matches_the_exact_address(user, password, settings):
    settings.CIAM_TRUSTED_PROXY_COUNT = 0
    IPRule.objects.create(network="2001:db8:1:2::7/128", action="allow", note="office")
    assert [attempt("2001:db8:1:2::7", "alice", WRONG).status_code for _ in range(12)] == [400] * 12
    assert attempt("2001:db8:1:2::7", "alice", password).status_code == 302
    assert fail(10, ip="2001:db8:1:2::8") == [400] * 10
    assert attempt("2001:db8:1:2::9", "alice", password).status_code == 429


# --- The unblock link ---------------------------------------------------------------------


@pytest.fixture
def unblock_url(user, received):
    blocked = received(signals.brute_force_blocked)
    fail(10)
    return blocked[0]["unblock_url"].removeprefix("http://testserver")


def test_the_unblock_link_asks_then_unblocks_once(unblock_url, password, received):
    lifted = received(signals.brute_force_unblocked)
    client = Client(**BROWSER)
    page = client.get(unblock_url)
    assert page.status_code == 200 and "Unblock my account" in page.content.decode()
    assert "no-store" in page["Cache-Control"]  # the page carries the token
    assert BruteForceBlock.objects.get().is_active  # opening the link changes nothing
    # A link writes nothing until it is used: the email carrying it may never be sent (its
    # notification off or rate-limited).
    assert not UnblockToken.objects.exists()

    assert client.post(unblock_url).status_code == 200
    assert UnblockToken.objects.get().used_at is not None
    block = BruteForceBlock.objects.get()
    assert block.release_reason == "link" and not block.is_active
    assert lifted[0]["reason"] == "link" and lifted[0]["block"] == block
    assert SecurityEvent.objects.filter(type=EventType.UNBLOCKED).count() == 1
    assert attempt(ATTACKER, "alice", password).status_code == 302

    again = client.post(unblock_url)
    assert again.status_code == 400 and "already used" in again.content.decode()


def test_the_unblock_link_needs_csrf(unblock_url):
    client = Client(enforce_csrf_checks=True, **BROWSER)
    assert client.post(unblock_url).status_code == 403
    assert BruteForceBlock.objects.get().is_active


@pytest.mark.parametrize("tamper", ["forged", "garbage", "huge", "signed_nonsense"])
def test_a_tampered_link_is_a_clear_400(unblock_url, tamper):
    token = unblock_url.rstrip("/").rsplit("/", 1)[-1]
    bad = {
        "forged": token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB"),
        "garbage": "not-a-token",
        "huge": "x" * 5000,
        "signed_nonsense": unblock._signer().sign("no-block-here"),
    }[tamper]
    response = Client().post(f"/fraud/unblock/{bad}/")
    assert response.status_code == 400
    assert "not valid" in response.content.decode()
    assert BruteForceBlock.objects.get().is_active


def test_an_expired_link_is_refused(unblock_url, monkeypatch):
    monkeypatch.setattr(unblock, "LINK_MAX_AGE", -1)
    response = Client().post(unblock_url)
    assert response.status_code == 400 and "expired" in response.content.decode()


def test_a_link_to_a_block_that_ended_says_so(unblock_url):
    BruteForceBlock.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = Client().get(unblock_url)
    assert response.status_code == 400 and "already ended" in response.content.decode()


# --- Other ways a block ends --------------------------------------------------------------


def test_a_password_reset_ends_the_blocks(user, settings, received):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    fail(10)
    fail(10, ip="198.51.100.8", identifier="alice@example.com")
    assert BruteForceBlock.objects.filter(released_at=None).count() == 2
    lifted = received(signals.brute_force_unblocked)

    client = Client(**BROWSER)
    client.post("/accounts/password/reset/", {"email": "alice@example.com"})
    link = re.search(r"https?://[^/]+(/accounts/password/reset/key/\S+/)", mail.outbox[-1].body)
    set_password = client.get(link.group(1), follow=True).request["PATH_INFO"]
    new = "a brand new passphrase 77"
    response = client.post(set_password, {"password1": new, "password2": new})
    assert response.status_code == 302

    assert {b.release_reason for b in BruteForceBlock.objects.all()} == {"password_reset"}
    assert len(lifted) == 2
    assert attempt(ATTACKER, "alice", new).status_code == 302


def test_a_block_lifts_30_days_after_the_last_failure(user, password):
    fail(10)
    block = BruteForceBlock.objects.get()
    assert block.expires_at - block.last_failure_at == timedelta(days=30)
    # The counter is what sign-ins check; it lives 30 days after the last failure.
    cache.delete(pair_key(block.identifier_hash, ATTACKER))
    assert attempt(ATTACKER, "alice", password).status_code == 302


# --- The cache flushed or down ------------------------------------------------------------


def test_blocks_survive_a_cache_flush(user, password):
    fail(10)
    cache.clear()
    assert attempt(ATTACKER, "alice", password).status_code == 429
    assert attempt(HOME, "alice", password).status_code == 302


def test_with_the_cache_down_the_blocks_on_record_hold_and_the_rest_fails_open(
    user, settings, password
):
    fail(10)
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",  # nothing listens there
        }
    }
    factory = RequestFactory(**BROWSER)
    blocked = factory.post(LOGIN, {"login": "alice", "password": password}, REMOTE_ADDR=ATTACKER)
    refusal = gate.check_attempt(blocked, "login", "alice")
    assert refusal is not None and refusal.status == 429
    fresh = factory.post(LOGIN, {"login": "alice", "password": password}, REMOTE_ADDR=HOME)
    assert gate.check_attempt(fresh, "login", "alice") is None
    gate.record_failure(fresh, "alice")  # dropped, logged; never raises
