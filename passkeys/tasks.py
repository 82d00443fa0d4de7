"""Periodic housekeeping of the passkeys app (Celery; scheduled in ``passkeys.schedule``)."""

from __future__ import annotations

from celery import shared_task

from . import challenges


@shared_task(name="passkeys.purge_expired_challenges", ignore_result=True)
def purge_expired_challenges() -> int:
    return challenges.purge_expired()
