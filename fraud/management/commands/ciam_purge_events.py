"""``manage.py ciam_purge_events``: delete security events older than the retention period."""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from fraud.events.models import EventLogSettings, SecurityEvent


class Command(BaseCommand):
    help = (
        "Delete security events older than the retention period set in the admin (default 90 "
        "days), in batches so the table is never locked for long. Run it daily."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", type=int, help="Keep this many days instead of the admin setting."
        )
        parser.add_argument(
            "--batch-size", type=int, default=5000, help="Rows deleted per statement."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be deleted; delete nothing."
        )

    def handle(self, *args, days=None, batch_size=5000, dry_run=False, **options):
        days = days if days is not None else EventLogSettings.load().retention_days
        if days < 1:
            raise CommandError("--days must be at least 1.")
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        cutoff = timezone.now() - timedelta(days=days)
        old = SecurityEvent.objects.filter(created_at__lt=cutoff)
        if dry_run:
            self.stdout.write(f"{old.count()} events older than {days} days would be deleted.")
            return
        deleted = 0
        while True:
            # Oldest first by the time index; each batch is its own short statement.
            batch = list(old.order_by("created_at").values_list("pk", flat=True)[:batch_size])
            if not batch:
                break
            deleted += SecurityEvent.objects.filter(pk__in=batch).delete()[0]
        self.stdout.write(f"Deleted {deleted} events older than {days} days.")
