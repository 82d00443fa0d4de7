"""Receivers of ciam: remember the devices users sign in from."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils import timezone

from . import signals
from .client_ip import get_client_ip
from .context import MAX_USER_AGENT
from .device import device_hash, get_device_id
from .models import KnownDevice


def _touch_device(request, user, **changes) -> None:
    """Insert or update this browser's row in one statement (an upsert), never a read first."""
    now = timezone.now()
    row = KnownDevice(
        user=user,
        device_hash=device_hash(get_device_id(request)),
        first_seen_at=now,
        last_seen_at=now,
        last_ip=get_client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:MAX_USER_AGENT],
        **changes,
    )
    KnownDevice.objects.bulk_create(
        [row],
        update_conflicts=True,
        unique_fields=["user", "device_hash"],
        update_fields=["last_seen_at", "last_ip", "user_agent", *changes],
    )


@receiver(user_logged_in, dispatch_uid="ciam.remember_device")
def remember_device(sender, request, user, **kwargs):
    if request is not None:
        session_key = request.session.session_key or ""
        # Signed-cookie sessions have no server-side key to end later, and keys that long.
        if len(session_key) > KnownDevice._meta.get_field("session_key").max_length:
            session_key = ""
        _touch_device(request, user, session_key=session_key)


@receiver(signals.step_up_completed, dispatch_uid="ciam.remember_verification")
def remember_verification(sender, request, user, method, succeeded, **kwargs):
    if succeeded:
        _touch_device(request, user, verified_at=timezone.now(), trusted=True)
