"""The "This wasn't me" link of new-sign-in and account-change emails.

The link carries ``django.core.signing``'s timestamped signature of the notification's id and
its user's id; it expires after ``CIAM_NOTIFICATIONS_LINK_MAX_AGE`` seconds and works once: the
row's ``link_used_at`` is the single-use marker, set with one conditional UPDATE, so two clicks
act once. No sign-in is needed: the link acts on the user it was sent to, whoever opens it.

What it does, in one transaction:

- signs the user out everywhere: the password is made unusable, which ends every session on
  any session backend at its next request (Django checks each session's password hash), and
  the sessions the user signed in with are deleted at once (``ciam.sessions``; not possible
  with ``signed_cookies``, where they end at their next request instead);
- stops trusting the device that signed in or made the change (``KnownDevice.trusted``), so
  its next sign-in counts as a new device again;
- takes back what was added to the account since the reported activity began: passkeys,
  authenticator apps and backup-code devices, and email address changes (the previous address
  is primary again); see ``notifications.undo``;
- records a ``device_untrusted`` security event and alerts the administrators;
- answers the URL of allauth's "set a new password" page for the user (a fresh reset key, so
  the link from their mailbox takes them straight there).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.core import signing
from django.db import transaction
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from ciam.client_ip import get_client_ip
from ciam.models import KnownDevice
from ciam.sessions import end_all_sessions
from fraud.events.models import EventType
from fraud.events.record import record_event

from . import outbox, undo
from .conf import settings
from .models import NOT_ME_KINDS, Kind, Notification

logger = logging.getLogger("ciam.notifications")

_SALT = "ciam.notifications.not_me"
_MAX_TOKEN_LENGTH = 300


def make_token(row: Notification) -> str:
    return signing.dumps({"n": row.pk, "u": row.user_id}, salt=_SALT)


def link_for(row: Notification) -> str:
    """The absolute "This wasn't me" URL of ``row``; "" when ``notifications.urls`` is not in
    the site's URLs (system check ``notifications.W001`` says so)."""
    from .emails import absolute_url

    try:
        path = reverse("ciam_notifications:not_me", args=[make_token(row)])
    except NoReverseMatch:
        logger.warning("notifications.urls is not included: emails carry no 'This wasn't me' link")
        return ""
    return absolute_url(path)


@dataclass(frozen=True)
class Report:
    """``problem``: "" when the link works (or just worked), else "invalid", "expired" or
    "used". ``reset_url``: where to send the user next (after ``report`` only)."""

    problem: str = ""
    notification: Notification | None = None
    reset_url: str = ""
    sessions_ended: int = 0


def _find(token: str) -> tuple[Notification | None, str]:
    if not token or len(token) > _MAX_TOKEN_LENGTH:
        return None, "invalid"
    try:
        data = signing.loads(token, salt=_SALT, max_age=settings.LINK_MAX_AGE)
    except signing.SignatureExpired:
        return None, "expired"
    except signing.BadSignature:
        return None, "invalid"
    if not isinstance(data, dict) or not all(isinstance(data.get(k), int) for k in ("n", "u")):
        return None, "invalid"
    row = (
        Notification.objects.select_related("user")
        .filter(pk=data["n"], user_id=data["u"], kind__in=NOT_ME_KINDS)
        .first()
    )
    if row is None:
        return None, "invalid"
    if row.link_used_at is not None:
        return row, "used"
    return row, ""


def peek(token: str) -> Report:
    """Whether ``token`` would work, without using it (for the confirmation page)."""
    row, problem = _find(token)
    return Report(problem=problem, notification=row)


def report(request: HttpRequest, token: str) -> Report:
    """Use ``token``: secure the account (see the module docstring). Safe to call twice; the
    second call answers "used" and does nothing."""
    row, problem = _find(token)
    if problem:
        return Report(problem=problem, notification=row)
    user = row.user
    data = row.context or {}
    with transaction.atomic():
        won = Notification.objects.filter(pk=row.pk, link_used_at__isnull=True).update(
            link_used_at=timezone.now()
        )
        if not won:
            return Report(problem="used", notification=row)
        # Before the password: restoring an address saves the user through another instance.
        undone = undo.undo_changes(row)
        user.refresh_from_db()  # its email may have been restored
        user.set_unusable_password()
        user.save(update_fields=["password"])
        device = data.get("device_hash") or ""
        untrusted = 0
        if device:
            untrusted = KnownDevice.objects.filter(user=user, device_hash=device).update(
                trusted=False, verified_at=None
            )
        ended = end_all_sessions(user)
        details = {
            "notification": row.pk,
            "kind": row.kind,
            "change": data.get("change", ""),
            "reported_sign_in_ip": data.get("ip", ""),
            "untrusted_device": device[:16],
            "devices_untrusted": untrusted,
            "sessions_ended": ended,
            **undone,
        }
        record_event(
            EventType.DEVICE_UNTRUSTED,
            request=request,
            user=user,
            reason="the user said it wasn't them",
            data=details,
        )
        outbox.notify_admins(
            Kind.ADMIN_NOT_ME,
            {
                **details,
                "at": timezone.now().isoformat(),
                "ip": get_client_ip(request),
                "username": user.get_username(),
                "reported_at": data.get("at", ""),
            },
            rate_key=f"admin_not_me:{user.pk}",
            user=user,
        )
    logger.info("User %s said notification #%s wasn't them: account secured", user.pk, row.pk)
    return Report(notification=row, reset_url=_reset_url(user), sessions_ended=ended)


def _reset_url(user) -> str:
    """allauth's "set a new password" page with a fresh key (computed after the password
    changed, which the key depends on); the reset request page when that is not routed."""
    from allauth.account.forms import default_token_generator
    from allauth.account.utils import user_pk_to_url_str

    try:
        return reverse(
            "account_reset_password_from_key",
            kwargs={
                "uidb36": user_pk_to_url_str(user),
                "key": default_token_generator.make_token(user),
            },
        )
    except NoReverseMatch:
        return reverse("account_reset_password")
