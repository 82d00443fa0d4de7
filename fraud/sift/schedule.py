"""Celery beat entries of Sift (plain data: config/settings.py merges it into
``CELERY_BEAT_SCHEDULE``; run ``celery -A config beat`` beside the worker)."""

BEAT_SCHEDULE = {
    # Undelivered events (broker down at the time, Sift outage, crashed worker) are retried
    # here; each row waits its own exponential backoff.
    "ciam-sift-deliver-due-events": {
        "task": "fraud.sift.deliver_due_events",
        "schedule": 30.0,
    },
    "ciam-sift-purge-outbox": {
        "task": "fraud.sift.purge_outbox",
        "schedule": 3600.0,
    },
}
