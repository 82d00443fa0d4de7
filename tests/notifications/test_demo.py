"""The demo site turns every email on; the package's defaults stay quieter."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from notifications.models import SWITCHES, NotificationSettings
from notifications.outbox import admin_recipients

pytestmark = pytest.mark.django_db


def test_the_package_defaults_leave_new_networks_out():
    defaults = NotificationSettings.load()
    assert all(getattr(defaults, switch) for switch in SWITCHES.values())
    assert defaults.on_new_device and defaults.on_new_country and not defaults.on_new_network
    assert defaults.score_above == 0.5
    assert admin_recipients(defaults) == []  # nobody holds the permission yet


def test_demo_setup_turns_every_email_on_and_alerts_its_administrator(capsys):
    call_command("demo_setup")
    demo = NotificationSettings.load()
    assert all(getattr(demo, switch) for switch in SWITCHES.values())
    assert demo.on_new_device and demo.on_new_network and demo.on_new_country
    assert admin_recipients(demo) == ["admin@example.com"]
