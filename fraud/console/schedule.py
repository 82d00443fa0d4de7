"""Celery beat entries of the console (plain data: config/settings.py merges it into
``CELERY_BEAT_SCHEDULE``)."""

BEAT_SCHEDULE = {
    # Keeps the Security Center's roll-ups at most a few minutes behind the event log; each
    # run counts only the hours closed since the last one.
    "ciam-console-roll-up-security-events": {
        "task": "fraud.console.roll_up_security_events",
        "schedule": 300.0,
    },
}
