"""Daily and weekly digests of administrator alerts.

An alert whose frequency is a digest is written as a held row (no recipient, never sent). The
digest task of that frequency (celery beat: daily at 07:00, weekly on Monday at 07:00, in
``TIME_ZONE``) folds every held row into one summary, per kind: how many, how many accounts,
the busiest IPs; writes one digest email per administrator and marks the rows digested, in one
transaction. Rows held while it runs wait for the next digest.
"""

from __future__ import annotations

import hashlib
from collections import Counter

from django.db import transaction
from django.utils import timezone

from .models import Frequency, Kind, Notification, NotificationSettings
from .outbox import admin_recipients, create

Status = Notification.Status
TOP_IPS = 10
# One digest never holds more than this many rows; the rest wait for the next one.
MAX_ROWS = 10_000


def summarize(rows: list[Notification]) -> list[dict]:
    """Per kind, in the order of ``Kind``: count, distinct accounts, busiest IPs."""
    sections = []
    for kind in Kind.values:
        of_kind = [row for row in rows if row.kind == kind]
        if not of_kind:
            continue
        ips = Counter((row.context or {}).get("ip") for row in of_kind)
        ips.pop(None, None)
        ips.pop("", None)
        sections.append(
            {
                "kind": kind,
                "count": len(of_kind),
                "accounts": len({row.user_id for row in of_kind if row.user_id}),
                "ips": [[ip, count] for ip, count in ips.most_common(TOP_IPS)],
            }
        )
    return sections


def send_digest(frequency: str) -> int:
    """Fold the held alerts of ``frequency`` into digests; returns how many digests were
    queued (0 when nothing was held or nobody is to receive them)."""
    if frequency not in (Frequency.DAILY, Frequency.WEEKLY):
        raise ValueError(f"not a digest frequency: {frequency!r}")
    now = timezone.now()
    with transaction.atomic():
        held = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(status=Status.HELD, digest=frequency)
            .order_by("pk")[:MAX_ROWS]
        )
        if not held:
            return 0
        Notification.objects.filter(pk__in=[row.pk for row in held]).update(
            status=Status.DIGESTED, sent_at=now
        )
        context = {
            "frequency": frequency,
            "since": held[0].created_at.isoformat(),
            "at": now.isoformat(),
            "total": len(held),
            "sections": summarize(held),
        }
        # Stable for one set of rows: a digest run twice over the same rows makes one email.
        batch = hashlib.sha256(",".join(str(row.pk) for row in held).encode()).hexdigest()[:16]
        queued = 0
        for address in admin_recipients(NotificationSettings.load()):
            address_key = hashlib.sha256(address.lower().encode()).hexdigest()[:16]
            row = create(
                kind=Kind.ADMIN_DIGEST,
                recipient=address,
                idempotency_key=f"admin_digest:{frequency}:{batch}:{address_key}",
                context=context,
            )
            queued += row is not None
    return queued
