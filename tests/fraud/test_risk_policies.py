"""Login policies enforced through real sign-ins: step-up, deny, monitor mode, forced step-ups,
"recently verified", several policies, and the strictest verdict with a site's own receiver."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from ciam import signals as ciam_signals
from ciam.models import KnownDevice
from ciam.verdicts import Verdict
from fraud.risk.models import IPRule, LoginPolicy
from tests.fraud.conftest import LONDON, MILTON, EventType, last_event, signal_keys

pytestmark = pytest.mark.django_db

STEP_UP = reverse("ciam:step_up")
SECURITY = reverse("ciam:account_security")


def default_policy() -> LoginPolicy:
    return LoginPolicy.objects.get(name="Default")


def test_the_default_policy_ships_with_the_documented_thresholds():
    policy = default_policy()
    assert (policy.enabled, policy.monitor) == (True, False)
    assert (policy.step_up_above, policy.deny_above) == (0.5, 0.7)
    assert policy.force_step_up_signals == ["impossible_travel"]


def test_new_device_and_new_country_steps_up(user, sign_in, signed_in_before, geoip):
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    signed_in_before(LONDON, hours_ago=24 * 30)  # long enough ago for any journey

    response = sign_in(Client(), MILTON)

    assert response.status_code == 302
    assert response["Location"] == STEP_UP
    event = last_event()
    assert event.type == EventType.STEP_UP_REQUESTED
    assert signal_keys(event) == {"new_device", "new_network", "new_country"}
    assert event.score == 0.65
    assert (event.verdict, event.policy, event.enforced) == ("step_up", "Default", True)
    assert event.user == user


def test_a_step_up_without_a_second_factor_is_denied(user, sign_in, signed_in_before, geoip):
    signed_in_before(LONDON, hours_ago=24 * 30)
    browser = Client()
    response = sign_in(browser, MILTON)
    assert response.status_code == 403
    assert "_auth_user_id" not in browser.session
    event = last_event()
    assert event.type == EventType.LOGIN_DENIED
    assert event.verdict == "step_up"
    assert event.reason == "no second factor enrolled"


def test_deny_listed_ip_is_denied(user, sign_in, signed_in_before):
    browser = signed_in_before("203.0.113.10")
    IPRule.objects.create(network="198.51.100.0/24", action="deny")

    response = sign_in(browser, "198.51.100.7")

    assert response.status_code == 403
    assert "Login Restricted" in response.content.decode()
    assert "_auth_user_id" not in browser.session
    event = last_event()
    assert event.type == EventType.LOGIN_DENIED
    assert (event.verdict, event.enforced, event.score) == ("deny", True, 1.0)
    assert event.reason == "score 1.00 above 0.70"


def test_monitor_mode_lets_the_sign_in_through_and_records_the_would_be_verdict(
    user, sign_in, signed_in_before
):
    LoginPolicy.objects.filter(name="Default").update(monitor=True)
    browser = signed_in_before("203.0.113.10")
    IPRule.objects.create(network="198.51.100.0/24", action="deny")

    response = sign_in(browser, "198.51.100.7")

    assert response.status_code == 302
    assert response["Location"] == SECURITY
    assert browser.session["_auth_user_id"] == str(user.pk)
    event = last_event()
    assert event.type == EventType.LOGIN_SUCCEEDED
    assert (event.verdict, event.policy, event.enforced) == ("deny", "Default", False)
    assert "untrusted_ip" in signal_keys(event)


def test_a_monitored_policy_beside_an_enforced_one(user, sign_in, signed_in_before):
    """Administrators try stricter thresholds on real traffic while the current ones apply."""
    LoginPolicy.objects.create(name="Strict (trial)", monitor=True, step_up_above=0.1)
    signed_in_before("203.0.113.10")

    response = sign_in(Client(), "203.0.113.10")  # new device: 0.25

    assert response.status_code == 302
    event = last_event()
    assert event.type == EventType.LOGIN_SUCCEEDED
    assert (event.verdict, event.policy, event.enforced) == ("step_up", "Strict (trial)", False)
    by_policy = {v["policy"]: (v["action"], v["monitor"]) for v in event.data["verdicts"]}
    assert by_policy == {"Default": ("allow", False), "Strict (trial)": ("step_up", True)}


def test_impossible_travel_forces_a_step_up_even_when_verified_recently(
    user, sign_in, signed_in_before, geoip, tune
):
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    # Low weights: the score alone would allow; the forced signal still asks.
    tune(impossible_travel_weight=0.1, new_network_weight=0.0, new_country_weight=0.0)
    browser = signed_in_before(LONDON, hours_ago=1)
    KnownDevice.objects.update(verified_at=timezone.now() - timedelta(minutes=30))

    response = sign_in(browser, MILTON)

    assert response["Location"] == STEP_UP
    event = last_event()
    assert event.type == EventType.STEP_UP_REQUESTED
    assert event.score == 0.1
    assert event.reason == "always asks for a second factor: Impossible travel"


def test_recently_verified_device_is_not_asked_again_for_a_medium_score(
    user, sign_in, signed_in_before, tune
):
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    tune(new_network_weight=0.6)
    browser = signed_in_before("203.0.113.10")
    KnownDevice.objects.update(verified_at=timezone.now() - timedelta(hours=1))

    response = sign_in(browser, "198.51.100.7")

    assert response["Location"] == SECURITY
    event = last_event()
    assert event.type == EventType.LOGIN_SUCCEEDED
    assert (event.verdict, event.enforced) == ("step_up", True)
    assert event.data["step_up_skipped"] is True


def test_the_strictest_verdict_wins_with_a_sites_own_receiver(
    user, sign_in, signed_in_before, connect_receiver
):
    browser = signed_in_before("203.0.113.10")
    connect_receiver(
        ciam_signals.risk_check_requested,
        lambda sender, context, **kw: Verdict.deny(source="site", reason="sift said so"),
    )
    response = sign_in(browser, "203.0.113.10")  # the local engine allows
    assert response.status_code == 403
    event = last_event()
    assert (event.verdict, event.policy, event.reason) == ("deny", "site", "sift said so")
    assert event.score == 0  # the local engine's score


def test_a_site_receiver_reads_the_local_assessment(
    user, sign_in, signed_in_before, connect_receiver
):
    seen = []

    def site_policy(sender, context, **kwargs):
        seen.append(context.signals["risk"].keys)

    connect_receiver(ciam_signals.risk_check_requested, site_policy)
    signed_in_before("203.0.113.10")
    sign_in(Client(), "203.0.113.10")
    assert seen[-1] == ("new_device",)


def test_disabled_policy_gives_no_verdict(user, sign_in, signed_in_before):
    LoginPolicy.objects.filter(name="Default").update(enabled=False)
    browser = signed_in_before("203.0.113.10")
    IPRule.objects.create(network="198.51.100.7", action="deny")
    assert sign_in(browser, "198.51.100.7").status_code == 302
    event = last_event()
    assert (event.verdict, event.score) == ("", 1.0)


def test_policy_validation():
    with pytest.raises(ValidationError) as error:
        LoginPolicy(name="x", step_up_above=0.8, deny_above=0.7).full_clean()
    assert "step_up_above" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        LoginPolicy(name="y", force_step_up_signals=["moon_phase"]).full_clean()
    assert "force_step_up_signals" in error.value.message_dict
    with pytest.raises(ValidationError):
        LoginPolicy(name="z", deny_above=1.5).full_clean()


@pytest.mark.parametrize("value", ["10.0.0.0/33", "banana", "", "1.2.3.4/24/8"])
def test_ip_rule_validation(value):
    with pytest.raises(ValidationError):
        IPRule.objects.create(network=value)


def test_ip_rules_are_normalised():
    assert IPRule.objects.create(network="10.1.2.3/8").network == "10.0.0.0/8"
    assert IPRule.objects.create(network=" 2001:DB8::1 ").network == "2001:db8::1/128"
    assert IPRule.objects.create(network="fe80::1%eth0").network == "fe80::1/128"
    assert IPRule.objects.create(network="::ffff:10.9.0.0/112").network == "10.9.0.0/16"
