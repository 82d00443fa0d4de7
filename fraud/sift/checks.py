"""System checks of Sift: a deployment that would quietly lose or never retry events."""

from django.conf import settings
from django.core.checks import Tags, Warning, register

DELIVER_DUE = "fraud.sift.deliver_due_events"


@register(Tags.compatibility)
def check_sift_deployment(app_configs, **kwargs):
    problems = []
    schedule = getattr(settings, "CELERY_BEAT_SCHEDULE", None) or {}
    if not any(entry.get("task") == DELIVER_DUE for entry in schedule.values()):
        problems.append(
            Warning(
                "CELERY_BEAT_SCHEDULE has no entry for fraud.sift.deliver_due_events: Sift "
                "events that could not be queued or delivered are never retried.",
                hint="Merge fraud.sift.schedule.BEAT_SCHEDULE into CELERY_BEAT_SCHEDULE and "
                "run `celery -A config beat`.",
                id="fraud.W030",
            )
        )
    return problems
