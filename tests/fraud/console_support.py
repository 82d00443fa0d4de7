"""Helpers of the console tests: a small event history written straight to the log, and the
POST data of an admin form as the browser would send it."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from fraud.events.models import SecurityEvent


def sift_verdict(score: float) -> dict:
    return {"source": "sift", "policy": "sift", "action": "allow", "score": score, "monitor": True}


def event(type: str, at: datetime, **fields) -> SecurityEvent:
    """An unsaved event of ``type`` at ``at``; ``sift=0.83`` adds Sift's verdict to ``data``."""
    sift = fields.pop("sift", None)
    data = dict(fields.pop("data", {}))
    if sift is not None:
        data.setdefault("verdicts", []).append(sift_verdict(sift))
    return SecurityEvent(type=type, created_at=at, data=data, **fields)


def write(*events: SecurityEvent) -> list[SecurityEvent]:
    """Insert without signals (as the benchmark's COPY does): only the rows matter here."""
    return SecurityEvent.objects.bulk_create(events)


def signals(*keys: str) -> list[dict]:
    return [{"key": k, "weight": 0.1, "explanation": k.replace("_", " ")} for k in keys]


def hours_ago(hours: float, now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - timedelta(hours=hours)


def form_data(response) -> dict:
    """The fields of the admin change form in ``response`` as a browser would post them
    unchanged (checkboxes left out when off)."""
    form = response.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        if value is True:
            data[name] = "on"
        elif isinstance(value, list | tuple):
            data[name] = [str(v) for v in value]
        else:
            data[name] = str(value)
    return data
