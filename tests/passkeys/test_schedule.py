"""The periodic purge of expired challenges: scheduled by the reference site, found by a worker,
and a warning (passkeys.W002) when a deployment's beat schedule lacks it."""

from __future__ import annotations

from django.conf import settings

from config.celery import app
from passkeys.checks import check_challenge_purge
from passkeys.schedule import BEAT_SCHEDULE


def test_the_site_runs_every_periodic_task_of_the_app():
    for name, entry in BEAT_SCHEDULE.items():
        assert settings.CELERY_BEAT_SCHEDULE[name] == entry
    assert check_challenge_purge(None) == []


def test_a_worker_finds_the_tasks_of_the_app():
    app.loader.import_default_modules()
    for entry in BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks, entry["task"]


def test_no_purge_scheduled_is_a_warning(settings):
    settings.CELERY_BEAT_SCHEDULE = {}
    (warning,) = check_challenge_purge(None)
    assert warning.id == "passkeys.W002" and "celery -A config beat" in warning.hint
