"""Receivers of the notifications app, connected in ``NotificationsConfig.ready()``. Each turns a
signal of the suite into rows of the outbox (``outbox.notify_user`` / ``notify_admins``).

- A sign-in: the security event log's ``login_succeeded`` row (``post_save`` of
  ``fraud.events.models.SecurityEvent``), which carries the risk engine's signals and score,
  the address, its place and the browser; it is written once the sign-in really succeeded
  (after any step-up), never for a denied one.
- ``fraud.protection.signals``: ``brute_force_blocked``, ``breached_password_detected``,
  ``ip_throttled`` (already at most once an hour per pair, user or IP).
- allauth's ``password_changed`` / ``password_set`` / ``password_reset`` / ``email_changed``,
  ``ciam.signals.mfa_device_changed``: the account changed.
- ``passkeys.signals.passkey_clone_suspected``, ``fraud.sift.signals.sift_decision_applied``.

A receiver never raises: a notification that cannot be queued is logged, and the sign-in, the
block or the change that caused it goes on.
"""

from __future__ import annotations

import functools
import logging

from allauth.account import signals as allauth_signals
from django.db.models.signals import post_save
from django.utils import timezone

from ciam import signals as ciam_signals
from ciam.client_ip import get_client_ip
from ciam.context import MAX_USER_AGENT
from ciam.device import device_hash, get_device_id
from fraud.events.models import EventType, SecurityEvent
from fraud.protection import signals as protection_signals
from fraud.sift.signals import sift_decision_applied

from . import outbox
from .models import Kind, NotificationSettings

logger = logging.getLogger("ciam.notifications")


def _never_raises(func):
    """Run ``func`` and log what it raises. No savepoint here: the one write of a receiver is
    ``outbox.create``'s INSERT, which has its own (a duplicate key must not poison the
    transaction of the sign-in or the change being reported); the settings come from the
    process cache, and addresses and counts are read when the email is sent."""

    @functools.wraps(func)
    def guarded(*args, **kwargs):
        try:
            func(*args, **kwargs)
        except Exception:
            logger.exception("Notification receiver %s failed", func.__name__)

    return guarded


def _now() -> str:
    return timezone.now().isoformat()


def _user_agent(request) -> str:
    return request.META.get("HTTP_USER_AGENT", "")[:MAX_USER_AGENT] if request else ""


# --- Sign-ins ---------------------------------------------------------------------------------


def sign_in_reasons(event: SecurityEvent, notification_settings: NotificationSettings) -> list:
    """Why a successful sign-in is worth an email: the risk engine's signals the administrator
    chose, and a score above the chosen level; [] when it is not."""
    raised = {s.get("key") for s in event.signals or [] if isinstance(s, dict)}
    chosen = [
        ("new_device", notification_settings.on_new_device),
        ("new_network", notification_settings.on_new_network),
        ("new_country", notification_settings.on_new_country),
    ]
    reasons = [key for key, on in chosen if on and key in raised]
    level = notification_settings.score_above
    if level is not None and event.score is not None and event.score > level:
        reasons.append("score")
    return reasons


def sign_in_recorded(sender, instance: SecurityEvent, created=False, raw=False, **kwargs):
    """Every row of the event log passes here: what needs no email costs no query (the
    settings come from the process cache, the signals from the row in memory)."""
    if not created or raw or instance.type != EventType.LOGIN_SUCCEEDED or not instance.user_id:
        return
    try:
        notification_settings = NotificationSettings.load()
        if not notification_settings.suspicious_sign_in:
            return
        reasons = sign_in_reasons(instance, notification_settings)
    except Exception:
        logger.exception("Could not decide on a new-sign-in email")
        return
    if reasons:
        _email_sign_in(instance, reasons)


@_never_raises
def _email_sign_in(instance: SecurityEvent, reasons: list) -> None:
    outbox.notify_user(
        Kind.SUSPICIOUS_SIGN_IN,
        instance.user,
        {
            "at": instance.created_at.isoformat(),
            "ip": instance.ip or "",
            "location": str((instance.data or {}).get("location") or ""),
            "country": instance.country,
            "user_agent": instance.user_agent,
            "reasons": reasons,
            "score": instance.score,
            "method": (instance.data or {}).get("method") or "",
            "device_hash": instance.device_hash,
            "event": instance.pk,
        },
        rate_key=f"suspicious_sign_in:{instance.user_id}",
    )


post_save.connect(sign_in_recorded, sender=SecurityEvent, dispatch_uid="notifications.sign_in")


# --- Attack protection ------------------------------------------------------------------------


@_never_raises
def brute_force_blocked(sender, user, ip, notify_user: bool, unblock_url: str, **kwargs):
    if user is None or not notify_user:
        return
    outbox.notify_user(
        Kind.BRUTE_FORCE_BLOCKED,
        user,
        {
            "at": _now(),
            "ip": ip,
            "all_ips": bool(kwargs.get("all_ips")),
            "unblock_url": unblock_url,
            "block": getattr(kwargs.get("block"), "pk", None),
        },
        rate_key=f"brute_force_blocked:{user.pk}:{ip}",
    )


@_never_raises
def breached_password_detected(sender, request, user, reason: str, blocked: bool, **kwargs):
    ip = get_client_ip(request) if request is not None else ""
    details = {"at": _now(), "ip": ip, "reason": reason, "blocked": bool(blocked)}
    if kwargs.get("notify_user"):
        outbox.notify_user(
            Kind.BREACHED_PASSWORD,
            user,
            {
                **details,
                "reset_url": kwargs.get("reset_url", ""),
                "user_agent": _user_agent(request),
            },
            rate_key=f"breached_password:{user.pk}",
        )
    if kwargs.get("notify_admins"):
        outbox.notify_admins(
            Kind.ADMIN_BREACHED_PASSWORD,
            {
                **details,
                "username": user.get_username(),
            },
            rate_key=f"admin_breached_password:{ip}",
            user=user,
            frequency=kwargs.get("admin_frequency"),
        )


@_never_raises
def ip_throttled(sender, request, ip: str, kind: str, retry_after, notify_admins: bool, **kw):
    if not notify_admins:
        return
    outbox.notify_admins(
        Kind.ADMIN_IP_THROTTLED,
        {
            "at": _now(),
            "ip": ip,
            "limit": kind,
            "retry_after": int(retry_after or 0),
        },
        rate_key=f"admin_ip_throttled:{ip}",
    )


protection_signals.brute_force_blocked.connect(
    brute_force_blocked, dispatch_uid="notifications.brute_force_blocked"
)
protection_signals.breached_password_detected.connect(
    breached_password_detected, dispatch_uid="notifications.breached_password"
)
protection_signals.ip_throttled.connect(ip_throttled, dispatch_uid="notifications.ip_throttled")


# --- Account changes --------------------------------------------------------------------------


def _account_changed(request, user, change: str, *, method: str = "", recipient=None, **extra):
    """One "your account changed" email. A change an administrator made (in the admin) says
    so and carries no "This wasn't me" link: there is no device of the user's to untrust."""
    acting = getattr(request, "user", None)
    by_admin = bool(getattr(acting, "is_authenticated", False) and acting.pk != user.pk)
    context = {"at": _now(), "change": change, "method": method, "by_admin": by_admin, **extra}
    if request is not None and not by_admin:
        context.update(
            ip=get_client_ip(request),
            user_agent=_user_agent(request),
            device_hash=device_hash(get_device_id(request)),
        )
    outbox.notify_user(
        Kind.ACCOUNT_CHANGED,
        user,
        context,
        rate_key=f"account_changed:{change}:{user.pk}",
        recipient=recipient,
    )


@_never_raises
def password_changed(sender, request, user, **kwargs):
    _account_changed(request, user, "password_changed")


@_never_raises
def password_set(sender, request, user, **kwargs):
    _account_changed(request, user, "password_set")


@_never_raises
def password_reset(sender, request, user, **kwargs):
    _account_changed(request, user, "password_reset")


@_never_raises
def email_changed(sender, request, user, from_email_address, to_email_address, **kwargs):
    if from_email_address is None:
        return  # a first address, not a change
    # To the old address: the one an attacker who changed it cannot read.
    _account_changed(
        request,
        user,
        "email_changed",
        recipient=from_email_address.email,
        old_email=from_email_address.email,
        new_email=to_email_address.email,
    )


@_never_raises
def mfa_device_changed(sender, request, user, kind: str, action: str, **kwargs):
    group = "passkey" if kind == "passkey" else "mfa"
    _account_changed(request, user, f"{group}_{action}", method=kind)


for _signal, _func in (
    (allauth_signals.password_changed, password_changed),
    (allauth_signals.password_set, password_set),
    (allauth_signals.password_reset, password_reset),
    (allauth_signals.email_changed, email_changed),
    (ciam_signals.mfa_device_changed, mfa_device_changed),
):
    _signal.connect(_func, dispatch_uid=f"notifications.{_func.__name__}")


# --- Passkeys and Sift ------------------------------------------------------------------------


@_never_raises
def passkey_clone_suspected(sender, request, user, passkey, **kwargs):
    ip = get_client_ip(request) if request is not None else ""
    details = {"at": _now(), "ip": ip, "passkey_name": passkey.name, "passkey": passkey.pk}
    outbox.notify_user(
        Kind.PASSKEY_CLONE,
        user,
        {**details, "user_agent": _user_agent(request)},
        rate_key=f"passkey_clone:{user.pk}",
    )
    outbox.notify_admins(
        Kind.ADMIN_PASSKEY_CLONE,
        {
            **details,
            "username": user.get_username(),
            "stored_sign_count": kwargs.get("stored_sign_count"),
            "received_sign_count": kwargs.get("received_sign_count"),
        },
        rate_key=f"admin_passkey_clone:{ip}",
        user=user,
    )


@_never_raises
def sift_decision(sender, decision, user, action: str, **kwargs):
    outbox.notify_admins(
        Kind.ADMIN_SIFT_DECISION,
        {
            "at": _now(),
            "decision": decision.pk,
            "decision_id": decision.decision_id,
            "action": action,
            "action_label": str(decision.get_action_display()),
            "entity_type": decision.entity_type,
            "note": decision.note,
            "username": user.get_username(),
        },
        rate_key=f"admin_sift_decision:{user.pk}",
        user=user,
    )


sift_decision_applied.connect(sift_decision, dispatch_uid="notifications.sift_decision")


def _connect_passkeys() -> None:
    from django.apps import apps

    if apps.is_installed("passkeys"):
        from passkeys.signals import passkey_clone_suspected as signal

        signal.connect(passkey_clone_suspected, dispatch_uid="notifications.passkey_clone")


_connect_passkeys()
