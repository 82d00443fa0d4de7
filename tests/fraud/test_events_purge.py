"""``ciam_purge_events`` keeps the security event log bounded."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from fraud.events.models import EventLogSettings, SecurityEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def history():
    now = timezone.now()
    SecurityEvent.objects.bulk_create(
        SecurityEvent(type="login_failed", created_at=now - timedelta(days=days))
        for days in [0, 1, 29, 31, 60, 91, 400]
    )


def purge(*args, **options) -> str:
    out = StringIO()
    call_command("ciam_purge_events", *args, stdout=out, **options)
    return out.getvalue()


def ages() -> list[int]:
    now = timezone.now()
    return sorted((now - e.created_at).days for e in SecurityEvent.objects.all())


def test_default_retention_is_90_days(history):
    assert purge(batch_size=1) == "Deleted 2 events older than 90 days.\n"
    assert ages() == [0, 1, 29, 31, 60]


def test_retention_from_the_admin_in_batches(history):
    EventLogSettings.objects.update_or_create(pk=1, defaults={"retention_days": 30})
    assert "Deleted 4 events" in purge(batch_size=3)
    assert ages() == [0, 1, 29]


def test_dry_run_deletes_nothing(history):
    assert purge("--days", "30", "--dry-run") == ("4 events older than 30 days would be deleted.\n")
    assert len(ages()) == 7


@pytest.mark.parametrize("args", [["--days", "0"], ["--batch-size", "0"]])
def test_nonsense_is_refused(history, args):
    with pytest.raises(CommandError):
        purge(*args)
