"""The numbers administrator alerts carry, read from the security event log and Sift's
decisions when the alert is sent (``emails.email_context``), never in the request that caused
it; each counts the window that ends at the alert's time (``until``), so a retry says the same."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count
from django.utils import timezone

from fraud.events.models import EventType, SecurityEvent
from fraud.sift.models import SiftDecision


def _window(field: str, hours: int, until) -> dict:
    until = until or timezone.now()
    return {f"{field}__gte": until - timedelta(hours=hours), f"{field}__lte": until}


def events_since(event_type: str, *, hours: int, until=None) -> int:
    """Security events of ``event_type`` in the ``hours`` before ``until`` (now)."""
    return SecurityEvent.objects.filter(
        type=event_type, **_window("created_at", hours, until)
    ).count()


def failures_from(ip: str, *, hours: int, until=None) -> dict:
    """Failed and refused sign-ins from ``ip`` in the ``hours`` before ``until`` (now), and how
    many accounts (distinct identifiers typed) they aimed at."""
    found = SecurityEvent.objects.filter(
        ip=ip,
        type__in=[EventType.LOGIN_FAILED, EventType.LOGIN_BLOCKED],
        **_window("created_at", hours, until),
    ).aggregate(
        failures=Count("pk"),
        accounts=Count("identifier_hash", distinct=True),
    )
    return {"failures_1h": found["failures"], "accounts_1h": found["accounts"]}


def sift_actions_since(*, hours: int, until=None) -> int:
    """Sift decisions that applied an action in the ``hours`` before ``until`` (now)."""
    return (
        SiftDecision.objects.filter(**_window("received_at", hours, until))
        .exclude(action=SiftDecision.Action.NONE)
        .count()
    )
