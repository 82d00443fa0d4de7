"""Recent authentication before sensitive changes (adding or removing a passkey).

A change is allowed when the last authentication of this session, of any kind (sign-in,
password re-entry, passkey), is younger than allauth's ``ACCOUNT_REAUTHENTICATION_TIMEOUT``
(300 seconds by default). Otherwise the user confirms with a passkey or the password first.
"""

from __future__ import annotations

import time

from allauth.account import app_settings as account_settings
from allauth.account.internal.flows.login import get_authentication_records
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import urlencode

from .models import Passkey


def last_authenticated_at(request: HttpRequest) -> float | None:
    records = get_authentication_records(request, request.user)
    times = [r.get("at") for r in records if isinstance(r.get("at"), int | float)]
    return max(times) if times else None


def recently_authenticated(request: HttpRequest) -> bool:
    """True when the user proved who they are within the re-authentication timeout; also
    True for an account with neither password nor passkey, which has nothing to confirm with
    (allauth does the same for social-only accounts)."""
    user = request.user
    if not user.is_authenticated:
        return False
    last = last_authenticated_at(request)
    if last is not None and time.time() - last < account_settings.REAUTHENTICATION_TIMEOUT:
        return True
    return not (user.has_usable_password() or Passkey.objects.filter(user=user).exists())


def reauthentication_url(request: HttpRequest, next_url: str) -> str:
    """Where to confirm: the passkey page when the user has one (it links to the password
    page), else allauth's password page. Both come back to ``next_url``."""
    query = urlencode({REDIRECT_FIELD_NAME: next_url})
    if Passkey.objects.filter(user=request.user).exists():
        return f"{reverse('passkeys:reauthenticate')}?{query}"
    return f"{reverse('account_reauthenticate')}?{query}"
