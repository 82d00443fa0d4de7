"""The console's actions on blocks, throttles and Sift deliveries: recorded with the
administrator's name, and only for staff allowed to change them."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from fraud.events.models import EventType, SecurityEvent
from fraud.protection import throttle
from fraud.protection.models import AttackProtectionSettings, BruteForceBlock, ThrottleState
from fraud.sift.models import SiftOutbox

from .conftest import LOGIN

pytestmark = pytest.mark.django_db

ATTACKER = "203.0.113.99"
BLOCKS = reverse("admin:ciam_fraud_bruteforceblock_changelist")
THROTTLES = reverse("admin:ciam_fraud_throttlestate_changelist")
DELIVERIES = reverse("admin:ciam_fraud_siftoutbox_changelist")


def fail_logins(ip: str, n: int, login: str = "alice"):
    client = Client(REMOTE_ADDR=ip)
    return [client.post(LOGIN, {"login": login, "password": "wrong"}) for _ in range(n)]


@pytest.fixture
def throttled(db):
    protection = AttackProtectionSettings.load()
    protection.login_failures_per_ip = 3
    protection.save()
    responses = fail_logins(ATTACKER, 4, login="nobody@example.com")
    assert responses[-1].status_code == 429
    return ThrottleState.objects.get(ip=ATTACKER)


def test_clearing_a_throttled_address_is_logged_with_the_admins_name(
    admin_client, admin_user, throttled
):
    response = admin_client.post(
        THROTTLES, {"action": "clear_throttling", "_selected_action": [throttled.pk]}, follow=True
    )
    assert "1 address cleared." in response.content.decode()
    event = SecurityEvent.objects.get(type=EventType.UNBLOCKED)
    assert event.ip == ATTACKER
    assert event.data["by"] == admin_user.get_username() == "admin"
    limiter = throttle.IPThrottle(AttackProtectionSettings.load())
    assert not limiter.live_state([ATTACKER])[(ATTACKER, "login")].throttled


def test_throttled_rows_are_not_deleted_behind_the_cache(admin_client, throttled):
    # "Delete" would leave the address throttled: only "Clear" is offered.
    actions = admin_client.get(THROTTLES).context["action_form"].fields["action"].choices
    assert [name for name, _label in actions if name] == ["clear_throttling"]


def test_unblocking_is_logged_with_the_admins_name(admin_client, admin_user, user):
    fail_logins(ATTACKER, 10)
    block = BruteForceBlock.objects.get()
    admin_client.post(BLOCKS, {"action": "unblock", "_selected_action": [block.pk]})
    event = SecurityEvent.objects.get(type=EventType.UNBLOCKED)
    assert event.data["by"] == "admin" and event.user == user


def test_staff_who_may_only_view_cannot_unblock_or_clear(client, make_user, user, throttled):
    protection = AttackProtectionSettings.load()
    protection.brute_force_threshold = 2
    protection.save()
    fail_logins("198.51.100.77", 2)
    block = BruteForceBlock.objects.get()
    clerk = make_user("clerk", is_staff=True)
    for codename in ("view_bruteforceblock", "view_throttlestate"):
        clerk.user_permissions.add(Permission.objects.get(codename=codename))
    client.force_login(clerk)
    for url, action, pk in [
        (BLOCKS, "unblock", block.pk),
        (THROTTLES, "clear_throttling", throttled.pk),
    ]:
        page = client.get(url)
        assert page.status_code == 200
        assert action not in page.content.decode()
        client.post(url, {"action": action, "_selected_action": [pk]})
    block.refresh_from_db()
    assert block.released_at is None
    assert ThrottleState.objects.filter(pk=throttled.pk).exists()
    assert not SecurityEvent.objects.filter(type=EventType.UNBLOCKED).exists()


def test_sift_deliveries_filter_by_status_show_payloads_masked_and_retry_failed_rows(
    admin_client,
):
    failed = SiftOutbox.objects.create(
        event_type="$login",
        status="failed",
        last_error="HTTP 500",
        payload={"$user_email": "alice@example.com", "$ip": "203.0.113.5", "$api_key": "x"},
    )
    sent = SiftOutbox.objects.create(event_type="$logout", status="sent", payload={})
    listed = admin_client.get(DELIVERIES, {"status__exact": "failed"}).context["cl"].result_list
    assert list(listed) == [failed]
    page = admin_client.get(reverse("admin:ciam_fraud_siftoutbox_change", args=[failed.pk]))
    body = page.content.decode()
    assert "ali**@example.com" in body and "alice@example.com" not in body
    assert "203.0.*.*" in body
    admin_client.post(
        DELIVERIES, {"action": "retry_delivery", "_selected_action": [failed.pk, sent.pk]}
    )
    failed.refresh_from_db()
    sent.refresh_from_db()
    assert failed.status != "failed" and failed.last_error == ""
    assert sent.status == "sent"
