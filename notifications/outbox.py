"""Writing notifications to the outbox: who receives them, how often, and the hand-over to
Celery after commit.

A row is inserted in the transaction of what it reports; only once that transaction commits is
the send task queued. If the broker is down the row stays pending and the periodic task
(``notifications.send_due_notifications``) sends it later: an outage delays mail, loses none.

Rate limits: a user gets at most one email of a kind (a change, for account changes) an hour,
administrators at most one alert of a kind an hour per IP (or per account when there is no
IP). The limit is an atomic ``cache.add``; when the cache is down it fails open to the
database, whose unique idempotency key carries the hour: one email per clock hour at most.
"""

from __future__ import annotations

import hashlib
import logging
import uuid

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from ciam.queueing import enqueue_on_commit

from .models import ALERT_PERMISSION, Frequency, Notification, NotificationSettings

logger = logging.getLogger("ciam.notifications")

HOUR = 3600
_PERMISSION_BACKEND = "django.contrib.auth.backends.ModelBackend"


def first_this_hour(key: str) -> bool:
    """True at most once an hour per ``key`` (one atomic cache round trip); True when the cache
    is down, leaving the limit to the hour-stamped idempotency key."""
    try:
        return bool(cache.add(f"ciam:notify:{key}", 1, HOUR))
    except Exception as exc:
        logger.warning("Cache unavailable for notification rate limits (%s): using the DB", exc)
        return True


def _hour_stamp() -> str:
    return timezone.now().strftime("%Y%m%d%H")


def _address_digest(address: str) -> str:
    return hashlib.sha256(address.lower().encode()).hexdigest()[:16]


def user_address(user) -> str:
    """Where a user's security email goes: the verified primary address (any verified one
    otherwise); the account's ``email`` when allauth holds no address for it; "" when every
    address is unverified, since mail to an address nobody proved is not sent."""
    from allauth.account.models import EmailAddress

    rows = list(
        EmailAddress.objects.filter(user=user)
        .order_by("-primary", "pk")
        .values_list("email", "verified")
    )
    if not rows:
        return getattr(user, "email", "") or ""
    verified = [email for email, ok in rows if ok]
    return verified[0] if verified else ""


def admin_recipients(notification_settings: NotificationSettings) -> list[str]:
    """Active staff holding ``ciam_notifications.receive_security_alerts`` (superusers
    included, as Django's permissions have it) when that switch is on, then the listed
    addresses; each address once."""
    addresses: list[str] = []
    if notification_settings.alert_staff:
        manager = get_user_model()._default_manager
        if hasattr(manager, "with_perm"):
            users = manager.with_perm(
                ALERT_PERMISSION,
                is_active=True,
                include_superusers=True,
                backend=_PERMISSION_BACKEND,
            )
            if any(f.name == "is_staff" for f in get_user_model()._meta.get_fields()):
                users = users.filter(is_staff=True)
            addresses += [user_address(u) for u in users.order_by("pk")]
    addresses += notification_settings.listed_addresses()
    seen: set[str] = set()
    unique = []
    for address in addresses:
        if address and address.lower() not in seen:
            seen.add(address.lower())
            unique.append(address)
    return unique


def notify_user(
    kind: str, user, context: dict, *, rate_key: str, recipient: str | None = None
) -> Notification | None:
    """Queue ``kind`` for ``user`` unless it is off or one went out for ``rate_key`` within the
    hour. ``context`` must be JSON-ready. Without ``recipient`` the row's is left empty and the
    user's address (``user_address``) is looked up when it is sent, not in the request that
    caused it; a user with no verified address gets nothing (the row fails, saying so)."""
    if not NotificationSettings.load().is_on(kind) or not first_this_hour(rate_key):
        return None
    return create(
        kind=kind,
        user=user,
        recipient=recipient or "",
        idempotency_key=f"{rate_key}:{_hour_stamp()}",
        context=context,
    )


def notify_admins(
    kind: str, context: dict, *, rate_key: str, user=None, frequency: str | None = None
) -> list[Notification]:
    """Alert the administrators: one row per recipient now, or one held row for the digest of
    ``frequency`` (the admin's choice when None)."""
    notification_settings = NotificationSettings.load()
    if not notification_settings.is_on(kind):
        return []
    frequency = frequency or notification_settings.admin_frequency
    if frequency in (Frequency.DAILY, Frequency.WEEKLY):
        # Every event counts in a digest: no rate limit, no recipient yet.
        held = create(
            kind=kind,
            user=user,
            recipient="",
            idempotency_key=f"held:{kind}:{uuid.uuid4().hex}",
            context=context,
            status=Notification.Status.HELD,
            digest=frequency,
        )
        return [held] if held else []
    if not first_this_hour(rate_key):
        return []
    stamp = _hour_stamp()
    rows = [
        create(
            kind=kind,
            user=user,
            recipient=address,
            idempotency_key=f"{rate_key}:{stamp}:{_address_digest(address)}",
            context=context,
        )
        for address in admin_recipients(notification_settings)
    ]
    return [row for row in rows if row is not None]


def create(**fields) -> Notification | None:
    """Insert one row (None when its idempotency key exists already) and, unless it is held
    for a digest, queue its sending once the transaction commits."""
    row = Notification(**fields)
    try:
        # A savepoint: a duplicate key must not poison the caller's transaction.
        with transaction.atomic():
            row.save(force_insert=True)
    except IntegrityError:
        logger.info("Notification %s already queued", fields.get("idempotency_key"))
        return None
    if row.status == Notification.Status.PENDING:
        dispatch(row.pk)
    return row


def dispatch(row_id: int) -> None:
    """Queue the sending of one row once the transaction commits; a broker outage is logged,
    never raised."""
    from .tasks import send_notification

    enqueue_on_commit(
        send_notification,
        row_id,
        logger=logger,
        label=f"notification #{row_id}",
        fallback="the periodic task will send it",
    )
