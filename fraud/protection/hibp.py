"""Have I Been Pwned's Pwned Passwords range API, with k-anonymity.

Only the first 5 hex characters of a password's SHA-1 leave the site
(``GET {CIAM_HIBP_API_URL}/range/ABCDE`` with ``Add-Padding: true``); the answer lists the
suffixes of every hash with that prefix and how often each was seen, padded with random
suffixes at count 0, which are ignored. The answer for a prefix is kept in the shared cache for
``CIAM_HIBP_CACHE_SECONDS``.

An outage (timeout, connection error, non-200 answer, unreadable body) answers None, so the
caller fails open; it is logged, and the process leaves the API alone for
``CIAM_HIBP_OUTAGE_BACKOFF_SECONDS`` so an outage does not add a timeout to every sign-in.
"""

from __future__ import annotations

import logging
import re
import time

import requests
from django.core.cache import cache

from fraud.conf import settings as fraud_settings

logger = logging.getLogger("ciam.fraud.protection")

_SUFFIX = re.compile(r"^[0-9A-F]{35}$")
_PREFIX = re.compile(r"^[0-9A-F]{5}$")
_down_until = 0.0


def _cache_key(prefix: str) -> str:
    return f"ciam:hibp:{prefix}"


def breach_count(sha1_hex: str) -> int | None:
    """How often the password with this SHA-1 was seen in breaches (0: never); None when the
    API could not be asked."""
    sha1_hex = (sha1_hex or "").upper()
    if len(sha1_hex) != 40:
        raise ValueError("a SHA-1 in hex is 40 characters")
    counts = range_counts(sha1_hex[:5])
    if counts is None:
        return None
    return counts.get(sha1_hex[5:], 0)


def range_counts(prefix: str) -> dict[str, int] | None:
    """{suffix: count} of the hashes starting with ``prefix`` (counts above 0 only)."""
    global _down_until
    if not _PREFIX.match(prefix):
        raise ValueError("a range prefix is 5 hex characters")
    try:
        cached = cache.get(_cache_key(prefix))
    except Exception as exc:
        logger.warning("Cache unavailable for Pwned Passwords answers: %s", exc)
        cached = None
    if isinstance(cached, dict):
        return cached
    if time.monotonic() < _down_until:
        return None
    counts = _fetch(prefix)
    if counts is None:
        _down_until = time.monotonic() + fraud_settings.HIBP_OUTAGE_BACKOFF_SECONDS
        return None
    try:
        cache.set(_cache_key(prefix), counts, fraud_settings.HIBP_CACHE_SECONDS)
    except Exception as exc:
        logger.warning("Cache unavailable for Pwned Passwords answers: %s", exc)
    return counts


def _fetch(prefix: str) -> dict[str, int] | None:
    url = f"{fraud_settings.HIBP_API_URL}/range/{prefix}"
    try:
        response = requests.get(
            url,
            headers={"Add-Padding": "true", "User-Agent": "django-ciam"},
            timeout=fraud_settings.HIBP_TIMEOUT,
        )
    except requests.RequestException as exc:
        logger.error("Pwned Passwords unavailable, failing open: %s", exc.__class__.__name__)
        return None
    if response.status_code != 200:
        logger.error("Pwned Passwords answered HTTP %s, failing open", response.status_code)
        return None
    counts: dict[str, int] = {}
    lines = 0
    for line in response.text.splitlines():
        suffix, _, count = line.strip().partition(":")
        if not _SUFFIX.match(suffix.upper()) or not count.strip().isdigit():
            continue
        lines += 1
        if int(count) > 0:  # padding lines say 0
            counts[suffix.upper()] = int(count)
    if not lines:
        logger.error("Pwned Passwords answered no readable line, failing open")
        return None
    return counts


def reset_outage() -> None:
    """Forget a past outage (tests, and the admin after fixing the network)."""
    global _down_until
    _down_until = 0.0
