"""Sift event payloads, built at the moment the event happens.

Every payload has ``$type``, ``$user_id`` (SHA-256 hex of the username, or of the identifier
typed for an unknown account), ``$time`` (milliseconds, now) and, when known, ``user_uuid``
(the user's primary key, a custom field) and ``$session_id`` (``ciam.device.get_session_id``).
Profile fields are added only with "include user profile information" on, and only those the
event type lists; ``$ip`` and ``$browser`` only with "include user device metadata" on.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass
from typing import Any

from ciam.client_ip import get_client_ip
from ciam.context import MAX_USER_AGENT
from ciam.device import get_session_id

CREATE_ACCOUNT = "$create_account"
UPDATE_ACCOUNT = "$update_account"
UPDATE_PASSWORD = "$update_password"
LOGIN = "$login"
LOGOUT = "$logout"
VERIFICATION = "$verification"

# Which profile fields each event type carries (SIFT.md, "Identity and metadata").
PROFILE_FIELDS = {
    LOGIN: ("$user_email", "$verification_phone_number", "$username"),
    CREATE_ACCOUNT: ("$user_email", "$name", "$phone", "$verification_phone_number"),
    UPDATE_ACCOUNT: ("$user_email", "$name", "$phone", "$verification_phone_number"),
    UPDATE_PASSWORD: ("$user_email",),
    LOGOUT: (),
    VERIFICATION: (),
}

E164 = re.compile(r"^\+[1-9]\d{7,14}$")
MAX_ACCEPT_LANGUAGE = 100


def now_ms() -> int:
    return int(time.time() * 1000)


def sift_user_id(user=None, identifier: str = "") -> str:
    """SHA-256 hex of the username (Sift never sees the raw one), or of the typed identifier
    when no account matches."""
    if user is not None:
        identifier = user.get_username()
    return hashlib.sha256((identifier or "").strip().lower().encode()).hexdigest()


@dataclass(frozen=True)
class Origin:
    """Where an event comes from: the browser session, address and user agent."""

    session_id: str = ""
    ip: str = ""
    user_agent: str = ""
    accept_language: str = ""

    @classmethod
    def from_request(cls, request, *, new_session_id: bool = True) -> Origin:
        """``new_session_id=False`` reads the session id only when the browser already has a
        session, so an anonymous failed attempt does not create one."""
        if request is None:
            return cls()
        session = getattr(request, "session", None)
        session_id = ""
        if session is not None and (new_session_id or session.session_key):
            session_id = get_session_id(request)
        return cls(
            session_id=session_id,
            ip=get_client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:MAX_USER_AGENT],
            accept_language=request.META.get("HTTP_ACCEPT_LANGUAGE", "")[:MAX_ACCEPT_LANGUAGE],
        )

    @classmethod
    def from_context(cls, context) -> Origin:
        request = context.request
        language = request.META.get("HTTP_ACCEPT_LANGUAGE", "") if request is not None else ""
        return cls(
            session_id=context.session_id,
            ip=context.ip,
            user_agent=context.user_agent,
            accept_language=language[:MAX_ACCEPT_LANGUAGE],
        )


def user_phone(user) -> str:
    """The user's phone number, from allauth's adapter when the site implements
    ``get_phone``, else a ``phone_number`` or ``phone`` attribute."""
    from allauth.account.adapter import get_adapter

    try:
        found = get_adapter().get_phone(user)
    except NotImplementedError:
        found = None
    if found:
        return str(found[0] or "")
    return str(getattr(user, "phone_number", "") or getattr(user, "phone", "") or "")


def user_name(user) -> str:
    """Full name, else the first or the last name."""
    full = user.get_full_name().strip() if hasattr(user, "get_full_name") else ""
    return full or getattr(user, "first_name", "") or getattr(user, "last_name", "") or ""


def profile_fields(event_type: str, user) -> dict[str, str]:
    wanted = PROFILE_FIELDS.get(event_type, ())
    if not wanted:
        return {}
    phone = (
        user_phone(user).strip() if {"$phone", "$verification_phone_number"} & set(wanted) else ""
    )
    values = {
        "$user_email": getattr(user, "email", "") or "",
        "$name": user_name(user) if "$name" in wanted else "",
        "$phone": phone,
        # Sift texts one-time codes to this number, so it must be E.164 or absent.
        "$verification_phone_number": phone if E164.match(phone) else "",
        "$username": user.get_username() if "$username" in wanted else "",
    }
    return {name: values[name] for name in wanted if values[name]}


def build_event(
    event_type: str,
    sift_settings,
    *,
    user=None,
    identifier: str = "",
    origin: Origin | None = None,
    fields: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The payload of one event, without the API key (the client adds it when sending)."""
    origin = origin or Origin()
    payload: dict[str, Any] = {
        "$type": event_type,
        "$user_id": sift_user_id(user, identifier),
        "$time": now_ms(),
    }
    if user is not None and user.pk is not None:
        payload["user_uuid"] = str(user.pk)
    if origin.session_id:
        payload["$session_id"] = origin.session_id
    if sift_settings.include_device:
        if origin.ip:
            payload["$ip"] = origin.ip
        browser = {}
        if origin.user_agent:
            browser["$user_agent"] = origin.user_agent
        if origin.accept_language:
            browser["$accept_language"] = origin.accept_language
        if browser:
            payload["$browser"] = browser
    if sift_settings.include_profile and user is not None:
        payload.update(profile_fields(event_type, user))
    payload.update(fields or {})
    return payload
