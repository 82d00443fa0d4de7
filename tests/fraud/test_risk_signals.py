"""Each signal of the local risk engine raises the score of a real sign-in, with its
explanation stored on the security event; each can be switched off in the admin."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from ciam import signals as ciam_signals
from ciam.context import AuthenticationContext
from ciam.models import KnownDevice
from fraud.events.models import SecurityEvent
from fraud.risk import engine
from fraud.risk.hooks import report_signal
from fraud.risk.models import IPRule
from tests.fraud.conftest import (
    BOXFORD,
    LINKOPING,
    LONDON,
    MILTON,
    EventType,
    last_event,
    signal_keys,
)

pytestmark = pytest.mark.django_db


def signed_in(type_=EventType.LOGIN_SUCCEEDED):
    return last_event(type_)


def explanations(event) -> list[str]:
    return [s["explanation"] for s in event.signals]


def test_first_sign_in_has_no_history_to_compare_with(user, sign_in):
    assert sign_in(Client(), LONDON).status_code == 302
    event = signed_in()
    assert event.score == 0
    assert signal_keys(event) == set()
    assert explanations(event) == ["no earlier sign-in on record"]


def test_same_browser_same_network_scores_zero(user, sign_in, signed_in_before):
    browser = signed_in_before("203.0.113.10")
    assert sign_in(browser, "203.0.113.77").status_code == 302
    event = signed_in()
    assert event.score == 0
    assert signal_keys(event) == set()


def test_new_device(user, sign_in, signed_in_before):
    signed_in_before("203.0.113.10")
    assert sign_in(Client(), "203.0.113.10").status_code == 302
    event = signed_in()
    assert signal_keys(event) == {"new_device"}
    assert event.score == 0.25
    assert "new device" in explanations(event)


def test_a_device_unseen_for_30_days_is_new_again(user, sign_in, signed_in_before):
    browser = signed_in_before("203.0.113.10")
    KnownDevice.objects.update(last_seen_at=timezone.now() - timedelta(days=31))
    sign_in(browser, "203.0.113.10")
    assert signal_keys(signed_in()) == {"new_device"}


def test_a_device_marked_untrusted_is_new(user, sign_in, signed_in_before):
    browser = signed_in_before("203.0.113.10")
    KnownDevice.objects.update(trusted=False)
    sign_in(browser, "203.0.113.10")
    assert signal_keys(signed_in()) == {"new_device"}


def test_new_ipv4_network(user, sign_in, signed_in_before):
    browser = signed_in_before("203.0.113.10")
    sign_in(browser, "198.51.100.4")
    event = signed_in()
    assert signal_keys(event) == {"new_network"}
    assert event.score == 0.15
    assert "new network: 198.51.100.0/24" in explanations(event)


def test_ipv6_networks_are_slash_64(user, sign_in, signed_in_before):
    browser = signed_in_before("2001:db8:1:1::5")
    sign_in(browser, "2001:db8:1:1:ffff::9")
    assert signal_keys(signed_in()) == set()
    browser.post("/accounts/logout/")
    sign_in(browser, "2001:db8:1:2::5")
    assert signal_keys(signed_in()) == {"new_network"}


def test_new_country(user, sign_in, signed_in_before, geoip):
    browser = signed_in_before(LONDON, hours_ago=24 * 30)
    sign_in(browser, LINKOPING)
    event = signed_in()
    assert signal_keys(event) == {"new_network", "new_country"}
    assert "new country: SE" in explanations(event)
    assert event.country == "SE"
    assert event.score == 0.4


def test_impossible_travel(user, sign_in, signed_in_before, geoip):
    browser = signed_in_before(LONDON, hours_ago=1)
    sign_in(browser, MILTON)
    event = last_event()
    assert "impossible_travel" in signal_keys(event)
    (travel,) = [s for s in event.signals if s["key"] == "impossible_travel"]
    assert travel["explanation"].startswith(
        "impossible travel: London, United Kingdom to Milton, United States, 77"
    )


def test_a_short_trip_is_not_impossible(user, sign_in, signed_in_before, geoip):
    # London to Boxford is about 90 km, within the two addresses' accuracy radius.
    browser = signed_in_before(LONDON, hours_ago=0.1)
    sign_in(browser, BOXFORD)
    assert "impossible_travel" not in signal_keys(signed_in())


def test_a_long_trip_over_enough_time_is_possible(user, sign_in, signed_in_before, geoip):
    browser = signed_in_before(LONDON, hours_ago=12)
    sign_in(browser, MILTON)
    event = last_event()
    assert "impossible_travel" not in signal_keys(event)
    assert "new_country" in signal_keys(event)


def test_without_a_geoip_database_location_signals_are_off(user, sign_in, signed_in_before):
    browser = signed_in_before(LONDON, hours_ago=1)
    sign_in(browser, MILTON)
    event = signed_in()
    assert signal_keys(event) == {"new_network"}
    assert event.country == ""


def test_deny_listed_ip(user, sign_in, signed_in_before):
    browser = signed_in_before("203.0.113.10")
    IPRule.objects.create(network="198.51.100.0/24", action="deny", note="known botnet")
    sign_in(browser, "198.51.100.9")
    event = last_event()
    assert "untrusted_ip" in signal_keys(event)
    assert "untrusted IP: known botnet" in explanations(event)
    assert event.score == 1.0


def test_deny_listed_ipv6_range(user, sign_in, signed_in_before):
    browser = signed_in_before("2001:db8::1")
    IPRule.objects.create(network="2001:db8:bad::/48", action="deny")
    sign_in(browser, "2001:db8:bad:1::2")
    assert "untrusted_ip" in signal_keys(last_event())


def test_allow_listed_ip_scores_zero(user, sign_in, signed_in_before):
    signed_in_before("203.0.113.10")
    IPRule.objects.create(network="198.51.100.0/24", action="allow", note="office")
    sign_in(Client(), "198.51.100.9")  # new device, new network: trusted anyway
    event = signed_in()
    assert event.score == 0
    assert explanations(event) == ["trusted IP: office"]


def test_a_deny_rule_wins_over_an_allow_rule(user, sign_in, signed_in_before):
    browser = signed_in_before("203.0.113.10")
    IPRule.objects.create(network="198.51.100.0/24", action="allow")
    IPRule.objects.create(network="198.51.100.9", action="deny")
    sign_in(browser, "198.51.100.9")
    assert "untrusted_ip" in signal_keys(last_event())


def test_failed_attempts_on_the_account(user, sign_in, signed_in_before, tune):
    browser = signed_in_before("203.0.113.10")
    for n in range(5):
        attacker_ip = f"198.51.{n}.1"
        response = sign_in(Client(), attacker_ip, identifier="Alice@Example.com", secret="nope")
        assert response.status_code == 400
    sign_in(browser, "203.0.113.10", identifier="alice@example.com")
    event = signed_in()
    assert signal_keys(event) == {"account_failures"}
    assert "5 failed sign-ins on the account in 15 min" in explanations(event)
    assert event.score == 0.3

    # The account got in: its failures are spent, under every identifier.
    browser.post("/accounts/logout/")
    sign_in(browser, "203.0.113.10", identifier="alice@example.com")
    assert signal_keys(signed_in()) == set()


def test_a_password_sign_in_counts_the_failures_of_the_identifier_typed(
    user, sign_in, signed_in_before
):
    # Read with attack protection's counters before the password check, when the account
    # behind what was typed is not known yet.
    browser = signed_in_before("203.0.113.10")
    for n in range(5):
        sign_in(Client(), f"198.51.{n}.1", identifier="alice@example.com", secret="nope")
    sign_in(browser, "203.0.113.10", identifier="alice")
    assert signal_keys(signed_in()) == set()


def test_a_sign_in_with_nothing_typed_counts_the_failures_of_every_identifier(user, sign_in):
    # A passkey or social sign-in: the account's username and email together.
    for n in range(3):
        sign_in(Client(), f"198.51.{n}.1", identifier="alice@example.com", secret="nope")
    for n in range(2):
        sign_in(Client(), f"198.51.{n}.2", identifier="alice", secret="nope")
    context = AuthenticationContext(request=None, user=user, method="passkey", ip="203.0.113.10")
    assessment = engine.assess(context)
    assert assessment.keys == ("account_failures",)


def test_a_denied_sign_in_does_not_spend_the_failures(user, sign_in, signed_in_before):
    browser = signed_in_before("203.0.113.10")
    for _ in range(5):
        sign_in(Client(), "198.51.100.9", secret="nope")
    IPRule.objects.create(network="198.51.100.9", action="deny")
    assert sign_in(Client(), "198.51.100.9").status_code == 403  # the attacker got it right
    sign_in(browser, "203.0.113.10")
    assert signal_keys(signed_in()) == {"account_failures"}


def test_failed_attempts_from_the_ip(user, make_user, sign_in, signed_in_before, tune):
    tune(ip_failures_threshold=3)
    browser = signed_in_before("203.0.113.10")
    for n in range(3):
        make_user(f"victim{n}")
        assert sign_in(Client(), "203.0.113.10", identifier=f"victim{n}", secret="x").status_code
    sign_in(browser, "203.0.113.10")
    event = signed_in()
    assert signal_keys(event) == {"ip_failures"}
    assert "3 failed sign-ins from the IP in 15 min" in explanations(event)


def test_breached_password_reported_before_the_context_exists(
    user, sign_in, signed_in_before, connect_receiver
):
    browser = signed_in_before("203.0.113.10")

    def attack_protection(sender, request, flow, identifier, **kwargs):
        report_signal(request, "breached_password", True)
        report_signal(request, "breached_password_reason", "seen 42 times")

    connect_receiver(ciam_signals.authentication_attempted, attack_protection)
    sign_in(browser, "203.0.113.10")
    event = signed_in()
    assert signal_keys(event) == {"breached_password"}
    assert "breached or weak password: seen 42 times" in explanations(event)
    assert event.score == 0.5


def test_bot_score_is_weighted(user, sign_in, signed_in_before, connect_receiver):
    browser = signed_in_before("203.0.113.10")
    connect_receiver(
        ciam_signals.authentication_attempted,
        lambda sender, request, **kw: report_signal(request, "bot_score", 0.8),
    )
    sign_in(browser, "203.0.113.10")
    event = signed_in()
    assert signal_keys(event) == {"bot"}
    assert event.score == 0.4
    assert "bot score 0.80" in explanations(event)


@pytest.mark.parametrize(
    "switch",
    ["new_device_enabled", "new_network_enabled", "new_country_enabled"],
)
def test_each_signal_can_be_switched_off(user, sign_in, signed_in_before, geoip, tune, switch):
    signed_in_before(LONDON, hours_ago=24 * 30)
    tune(**{switch: False})
    sign_in(Client(), MILTON)
    keys = signal_keys(last_event())
    assert switch.removesuffix("_enabled") not in keys
    assert keys  # the others still fire


def test_weights_come_from_the_admin(user, sign_in, signed_in_before, tune):
    signed_in_before("203.0.113.10")
    tune(new_device_weight=0.05)
    sign_in(Client(), "203.0.113.10")
    assert signed_in().score == 0.05


def test_history_ignores_failed_attempts(user, sign_in, signed_in_before):
    """A network is known only from successful sign-ins, not from an attacker's failures."""
    browser = signed_in_before("203.0.113.10")
    sign_in(Client(), "198.51.100.9", secret="wrong")
    sign_in(browser, "198.51.100.9")
    assert signal_keys(signed_in()) == {"new_network"}
    assert SecurityEvent.objects.filter(type="login_failed").count() == 1
