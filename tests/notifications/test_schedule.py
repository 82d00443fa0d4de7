"""The periodic tasks: defined in the code, merged into the reference site's beat schedule,
registered with Celery, and listed in the README's Production section."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from config.celery import app
from notifications.schedule import BEAT_SCHEDULE

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_site_runs_every_periodic_task_of_the_app():
    for name, entry in BEAT_SCHEDULE.items():
        assert settings.CELERY_BEAT_SCHEDULE[name] == entry


def test_a_worker_finds_the_tasks_of_the_app():
    # What `celery -A config worker` registers: the tasks modules of the installed apps.
    app.loader.import_default_modules()
    for entry in BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks, entry["task"]
    assert "notifications.send_notification" in app.tasks


def test_every_scheduled_task_is_in_the_readme():
    production = README.read_text().split("## Production", 1)[1].split("\n## ", 1)[0]
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert f"`{entry['task']}`" in production, entry["task"]
