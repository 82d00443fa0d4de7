"""Writing the security event log."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db import DatabaseError, connections, router, transaction
from django.http import HttpRequest

from ciam.client_ip import clean_ip, get_client_ip, network_of
from ciam.context import MAX_USER_AGENT
from ciam.device import device_hash, get_device_id, hash_identifier

from .models import SecurityEvent

logger = logging.getLogger("ciam.fraud.events")

_UNSET: Any = object()


def _text(value, limit: int) -> str:
    # PostgreSQL refuses NUL in text; a hostile header must not cost the row.
    return str(value or "").replace("\x00", "")[:limit]


def _known_user(user):
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user if getattr(user, "pk", None) is not None else None


def typed_identifier(credentials: dict | None) -> str:
    """What the user typed to sign in, from the credentials of ``user_login_failed``."""
    for key in ("username", "email", "login"):
        value = (credentials or {}).get(key)
        if isinstance(value, str) and value:
            return value
    return ""


def record_event(
    type: str,
    *,
    request: HttpRequest | None = None,
    user=None,
    identifier: str = "",
    ip: str | None = None,
    user_agent: str | None = None,
    device_id: str | None = None,
    location=_UNSET,
    score: float | None = None,
    signals: list[dict] | None = None,
    verdict: str = "",
    policy: str = "",
    enforced: bool = True,
    reason: str = "",
    data: dict | None = None,
    created_at: datetime | None = None,
) -> SecurityEvent | None:
    """Write one security event: exactly one INSERT, no other query.

    IP, user agent and device come from ``request`` unless given. ``identifier`` (what was
    typed) is stored hashed. ``location`` is a ``fraud.risk.geo.Location`` (or None) when the
    caller already looked the address up; otherwise it is looked up in the GeoIP database, in
    memory. A database error is logged and answers None: the log never breaks a sign-in.
    """
    if request is not None:
        ip = ip if ip is not None else get_client_ip(request)
        if user_agent is None:
            user_agent = request.META.get("HTTP_USER_AGENT", "")
        if device_id is None:
            device_id = get_device_id(request)
    ip = clean_ip(ip)
    data = dict(data or {})
    if location is _UNSET:
        from ..risk.geo import locate

        location = locate(ip)
    if location is not None:
        data.setdefault("location", location.label)
    event = SecurityEvent(
        type=type,
        user=_known_user(user),
        identifier_hash=hash_identifier(identifier) if identifier else "",
        ip=ip,
        network=network_of(ip) if ip else "",
        user_agent=_text(user_agent, MAX_USER_AGENT),
        device_hash=device_hash(device_id) if device_id else "",
        country=(location.country if location is not None else "")[:2],
        score=score,
        signals=signals or [],
        verdict=verdict or "",
        policy=_text(policy, 100),
        enforced=enforced,
        reason=_text(reason, 200),
        data=data,
    )
    if created_at is not None:
        event.created_at = created_at
    try:
        _insert(event)
    except DatabaseError:
        logger.exception("Security event %s could not be written", type)
        return None
    return event


def _insert(event: SecurityEvent) -> None:
    connection = connections[router.db_for_write(SecurityEvent)]
    if connection.in_atomic_block:
        # Inside someone's transaction a failed insert would poison it: isolate it.
        with transaction.atomic(using=connection.alias):
            event.save(force_insert=True, using=connection.alias)
    else:
        event.save(force_insert=True, using=connection.alias)
