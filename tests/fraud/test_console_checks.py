"""System checks of the console: fraud.W040 (the admin's own login form is in use), fraud.W041
(nothing schedules the Security Center's roll-ups)."""

from __future__ import annotations

from django.contrib import admin
from django.core.checks import run_checks

from config.celery import app
from fraud.console.checks import ROLL_UP


def ids(**kwargs) -> set[str]:
    return {message.id for message in run_checks(tags=["admin"], **kwargs)}


def test_the_reference_site_raises_neither():
    assert not ids() & {"fraud.W040", "fraud.W041"}


def test_a_plain_admin_site_is_warned(monkeypatch):
    monkeypatch.setattr(admin, "site", admin.AdminSite())
    assert "fraud.W040" in ids()


def test_unscheduled_roll_ups_are_warned(settings):
    settings.CELERY_BEAT_SCHEDULE = {}
    assert "fraud.W041" in ids()


def test_a_worker_knows_the_roll_up_task():
    app.loader.import_default_modules()
    assert ROLL_UP in app.tasks
