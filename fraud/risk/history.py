"""What a user's past tells about a new sign-in, read in one query.

Every look-up is an EXISTS or a LIMIT 1 on an index (KnownDevice's unique (user, device),
the security events' partial (user, network) and (user, country) indexes of successful
sign-ins, and (user, created_at)), so the cost does not grow with the user's history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db.models import BooleanField, Exists, OuterRef, Subquery, Value
from django.utils import timezone

from ciam.models import KnownDevice

from ..events.models import EventType, SecurityEvent


@dataclass(frozen=True)
class SignInHistory:
    has_devices: bool = False  # any device on record for the user
    device_seen: bool = False  # this device, trusted, seen within the period
    has_sign_ins: bool = False  # any successful sign-in in the event log
    network_seen: bool = False
    country_seen: bool = False
    last_ip: str | None = None
    last_at: datetime | None = None


def load_history(
    user, *, device_hash: str, device_days: int, network: str, country: str
) -> SignInHistory:
    """The facts about ``user``'s past sign-ins the risk engine needs, in one query."""
    devices = KnownDevice.objects.filter(user=OuterRef("pk"))
    sign_ins = SecurityEvent.objects.filter(user=OuterRef("pk"), type=EventType.LOGIN_SUCCEEDED)
    latest = sign_ins.order_by("-created_at")
    no = Value(False, output_field=BooleanField())
    since = timezone.now() - timedelta(days=device_days)
    row = (
        get_user_model()
        .objects.filter(pk=user.pk)
        .annotate(
            h_devices=Exists(devices),
            h_device_seen=Exists(
                devices.filter(device_hash=device_hash, trusted=True, last_seen_at__gte=since)
            ),
            h_network_seen=Exists(sign_ins.filter(network=network)) if network else no,
            h_country_seen=Exists(sign_ins.filter(country=country)) if country else no,
            h_last_ip=Subquery(latest.values("ip")[:1]),
            h_last_at=Subquery(latest.values("created_at")[:1]),
        )
        .values(
            "h_devices",
            "h_device_seen",
            "h_network_seen",
            "h_country_seen",
            "h_last_ip",
            "h_last_at",
        )
        .first()
    )
    if row is None:
        return SignInHistory()
    last_at = row["h_last_at"]
    if isinstance(last_at, str):  # SQLite returns the subquery's datetime as text
        last_at = datetime.fromisoformat(last_at)
    if last_at is not None and timezone.is_naive(last_at):
        last_at = timezone.make_aware(last_at, UTC)
    return SignInHistory(
        has_devices=bool(row["h_devices"]),
        device_seen=bool(row["h_device_seen"]),
        has_sign_ins=last_at is not None,
        network_seen=bool(row["h_network_seen"]),
        country_seen=bool(row["h_country_seen"]),
        last_ip=row["h_last_ip"],
        last_at=last_at,
    )
