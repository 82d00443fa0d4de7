"""A worker started as ``celery -A config worker`` knows every periodic task of the schedule."""

import json
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent

# What a worker does at start-up, in a fresh interpreter: Django set up by Celery's fixup,
# then the apps' tasks modules imported by autodiscovery.
WORKER_START = """
import json
from config.celery import app
app.loader.import_default_modules()
app.loader.init_worker()
print(json.dumps(sorted(app.tasks)))
"""


def test_every_scheduled_task_is_registered_in_a_worker():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    out = subprocess.run(
        [sys.executable, "-c", WORKER_START], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    registered = set(json.loads(out.stdout.strip().splitlines()[-1]))
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert scheduled  # Sift retries, notifications, roll-ups ...
    assert scheduled <= registered, scheduled - registered
