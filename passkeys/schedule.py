"""Celery beat entries of the passkeys app (plain data: config/settings.py merges it into
``CELERY_BEAT_SCHEDULE``; run ``celery -A config beat`` beside the worker)."""

BEAT_SCHEDULE = {
    # Challenges handed out and never answered (most login page loads: autofill asks for one
    # whether or not a passkey is used). Off the request path, so a page load writes one row
    # and deletes none.
    "ciam-passkeys-purge-expired-challenges": {
        "task": "passkeys.purge_expired_challenges",
        "schedule": 600.0,
    },
}
