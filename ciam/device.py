"""Identify a browser across sessions with a long-lived, signed cookie, and a session across
the key rotation Django performs at sign-in."""

from __future__ import annotations

import hashlib
import secrets

from django.http import HttpRequest, HttpResponse
from django.utils.crypto import salted_hmac

from .conf import settings

_SALT = "ciam.device"
_REQUEST_ATTR = "ciam_device_id"
_NEW_ATTR = "ciam_device_is_new"
SESSION_ID_KEY = "ciam.session_id"


def _new_id() -> str:
    return secrets.token_urlsafe(18)


def get_device_id(request: HttpRequest) -> str:
    """The device id of this browser; a new one when the cookie is missing or tampered with."""
    device_id = getattr(request, _REQUEST_ATTR, None)
    if device_id:
        return device_id
    device_id = request.get_signed_cookie(settings.DEVICE_COOKIE_NAME, default=None, salt=_SALT)
    if not device_id or len(device_id) > 64:
        device_id = _new_id()
        setattr(request, _NEW_ATTR, True)
    setattr(request, _REQUEST_ATTR, device_id)
    return device_id


def store_device_cookie(request: HttpRequest, response: HttpResponse) -> None:
    """Set the cookie when this request minted a new device id."""
    if not getattr(request, _NEW_ATTR, False):
        return
    from django.conf import settings as django_settings

    response.set_signed_cookie(
        settings.DEVICE_COOKIE_NAME,
        getattr(request, _REQUEST_ATTR),
        salt=_SALT,
        max_age=settings.DEVICE_COOKIE_AGE,
        httponly=True,
        samesite="Lax",
        secure=django_settings.SESSION_COOKIE_SECURE,
    )


def get_session_id(request: HttpRequest) -> str:
    """A stable, hashed id of the browser session that survives the sign-in key rotation."""
    raw = request.session.get(SESSION_ID_KEY)
    if not raw:
        raw = secrets.token_urlsafe(18)
        request.session[SESSION_ID_KEY] = raw
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def hash_identifier(identifier: str) -> str:
    """A stable, non-reversible form of an identifier typed into a login form.

    Keyed with ``SECRET_KEY`` (HMAC-SHA256): people type passwords into the username box, and
    a plain hash of those could be reversed with a dictionary.
    """
    normalised = (identifier or "").strip().lower()
    return salted_hmac("ciam.identifier", normalised, algorithm="sha256").hexdigest()


def device_hash(device_id: str) -> str:
    """What is stored of a device id: the cookie itself never reaches the database."""
    return hashlib.sha256(f"ciam.device:{device_id}".encode()).hexdigest()
