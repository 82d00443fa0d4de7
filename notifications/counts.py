"""The numbers administrator alerts carry, read from the security event log and Sift's
decisions when an alert is written (at most once an hour per IP, never per sign-in)."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count
from django.utils import timezone

from fraud.events.models import EventType, SecurityEvent
from fraud.sift.models import SiftDecision


def _since(hours: int):
    return timezone.now() - timedelta(hours=hours)


def events_since(event_type: str, *, hours: int) -> int:
    """Security events of ``event_type`` in the last ``hours``."""
    return SecurityEvent.objects.filter(type=event_type, created_at__gte=_since(hours)).count()


def failures_from(ip: str, *, hours: int) -> dict:
    """Failed and refused sign-ins from ``ip`` in the last ``hours``, and how many accounts
    (distinct identifiers typed) they aimed at."""
    found = SecurityEvent.objects.filter(
        ip=ip,
        type__in=[EventType.LOGIN_FAILED, EventType.LOGIN_BLOCKED],
        created_at__gte=_since(hours),
    ).aggregate(
        failures=Count("pk"),
        accounts=Count("identifier_hash", distinct=True),
    )
    return {"failures_1h": found["failures"], "accounts_1h": found["accounts"]}


def sift_actions_since(*, hours: int) -> int:
    """Sift decisions that applied an action in the last ``hours``."""
    return (
        SiftDecision.objects.filter(received_at__gte=_since(hours))
        .exclude(action=SiftDecision.Action.NONE)
        .count()
    )
