"""Celery beat entries of the notifications app; config/settings.py merges them into
``CELERY_BEAT_SCHEDULE``. Run ``celery -A config beat`` beside the worker. Times are in
``CELERY_TIMEZONE`` (Django's ``TIME_ZONE`` by default)."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    # Rows left unsent (broker down when written, SMTP errors, a dead worker): each waits its
    # own exponential backoff.
    "ciam-notifications-send-due": {
        "task": "notifications.send_due_notifications",
        "schedule": 60.0,
    },
    "ciam-notifications-daily-digest": {
        "task": "notifications.send_digest",
        "schedule": crontab(hour=7, minute=0),
        "args": ("daily",),
    },
    "ciam-notifications-weekly-digest": {
        "task": "notifications.send_digest",
        "schedule": crontab(hour=7, minute=0, day_of_week="mon"),
        "args": ("weekly",),
    },
    "ciam-notifications-purge": {
        "task": "notifications.purge_notifications",
        "schedule": crontab(hour=3, minute=30),
    },
}
