"""A cheap cap, per client address, on the passkey sign-in options anonymous visitors ask for.

Every login page load asks for them (autofill), and each answer writes a session row and a
pending challenge: without a cap a script could fill both tables. The count lives in the cache
(one ``incr`` per request once the minute's key exists), per address and per IPv6 /64, in fixed
one-minute windows. An unreachable cache lets requests through: the sign-in itself is still
checked by the login pipeline when the answer comes back.
"""

from __future__ import annotations

import logging
import time

from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import gettext as _

from ciam.client_ip import get_client_ip, network_of
from ciam.verdicts import Refusal

from .conf import settings

logger = logging.getLogger("ciam.passkeys")

WINDOW_SECONDS = 60


def options_refusal(request: HttpRequest) -> Refusal | None:
    """A 429 refusal when this address asked for more sign-in options this minute than
    ``CIAM_WEBAUTHN_OPTIONS_PER_MINUTE``; None otherwise (and when the cache is down)."""
    limit = settings.WEBAUTHN_OPTIONS_PER_MINUTE
    if limit <= 0:
        return None
    now = int(time.time())
    key = f"ciam:passkeys:options:{_counted_as(get_client_ip(request))}:{now // WINDOW_SECONDS}"
    try:
        count = _count(key)
    except Exception as exc:  # any cache backend: fail open, as the suite's counters do
        logger.warning("passkey options cap not applied (cache unavailable): %s", exc)
        return None
    if count <= limit:
        return None
    return Refusal(
        message=_("Too many passkey requests came from your network. Try again in a minute."),
        status=429,
        code="too_many_requests",
        retry_after=max(1, WINDOW_SECONDS - now % WINDOW_SECONDS),
        source="passkeys",
    )


def _counted_as(ip: str) -> str:
    # One machine often holds a whole IPv6 /64: its addresses count as one.
    return network_of(ip) if ip and ":" in ip else ip


def _count(key: str) -> int:
    try:
        return cache.incr(key)
    except ValueError:  # the first request of this address in this minute
        if cache.add(key, 1, timeout=WINDOW_SECONDS + 5):
            return 1
        return cache.incr(key)  # another request made the key meanwhile
