"""The risk engine's settings, login policies and IP rules in the admin: defaults shown,
input validated, the GeoIP state said in words."""

from __future__ import annotations

import pytest
from django.urls import reverse

from fraud.risk.models import IPRule, LoginPolicy, RiskSettings

pytestmark = pytest.mark.django_db


def settings_page(admin_client):
    response = admin_client.get(reverse("admin:ciam_fraud_risksettings_changelist"))
    assert response.status_code == 302
    return response["Location"]


def test_settings_page_shows_defaults_and_says_geoip_is_off(admin_client):
    body = admin_client.get(settings_page(admin_client)).content.decode()
    assert "Default: 0.25." in body
    assert "Off: CIAM_GEOIP_PATH is not set. The new-country and impossible-travel" in body
    assert "Reachable" in body


def test_settings_page_says_geoip_is_on(admin_client, geoip):
    body = admin_client.get(settings_page(admin_client)).content.decode()
    assert f"In use: {geoip}" in body


def test_a_weight_out_of_range_is_a_form_error(admin_client):
    url = settings_page(admin_client)
    form = admin_client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data = {k: ("on" if v is True else v) for k, v in data.items() if v is not False}
    data["new_device_weight"] = "1.5"
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "Ensure this value is less than or equal to 1.0." in response.content.decode()
    data["new_device_weight"] = "0.4"
    assert admin_client.post(url, data).status_code == 302
    assert RiskSettings.load().new_device_weight == 0.4


def test_policy_form_validates_thresholds_and_lists_signals(admin_client):
    url = reverse("admin:ciam_fraud_loginpolicy_add")
    assert "Impossible travel" in admin_client.get(url).content.decode()
    data = {"name": "Strict", "enabled": "on", "step_up_above": "0.8", "deny_above": "0.6"}
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "cannot be above the deny threshold" in response.content.decode()
    data.update(step_up_above="0.3", force_step_up_signals=["impossible_travel", "new_country"])
    assert admin_client.post(url, data).status_code == 302
    policy = LoginPolicy.objects.get(name="Strict")
    assert policy.force_step_up_signals == ["impossible_travel", "new_country"]


@pytest.mark.parametrize("network", ["10.0.0.0/33", "example.com", "1.2.3"])
def test_ip_rule_form_rejects_what_does_not_parse(admin_client, network):
    url = reverse("admin:ciam_fraud_iprule_add")
    response = admin_client.post(url, {"network": network, "action": "deny"})
    assert response.status_code == 200
    assert "Enter an IPv4 or IPv6 address or a CIDR range." in response.content.decode()


def test_ip_rule_form_saves_ipv6_ranges(admin_client):
    url = reverse("admin:ciam_fraud_iprule_add")
    response = admin_client.post(url, {"network": "2001:DB8::/32", "action": "allow"})
    assert response.status_code == 302
    assert IPRule.objects.get().network == "2001:db8::/32"
