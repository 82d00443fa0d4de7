"""System checks of the local risk engine."""

from __future__ import annotations

import secrets

from django.core.cache import cache
from django.core.checks import Tags, Warning, register

from . import geo

_PROBE_KEY = "ciam:risk:check"


@register(Tags.caches)
def check_counter_cache(app_configs, **kwargs):
    """fraud.W010: the shared cache of the failed-attempt counters does not answer."""
    # A value written and read back: a fail-open cache (ciam.cache.FailOpenRedisCache) raises
    # nothing while Redis is down, it just forgets.
    token = secrets.token_hex(8)
    try:
        cache.set(_PROBE_KEY, token, 10)
        answered = cache.get(_PROBE_KEY) == token
    except Exception:
        answered = False
    if not answered:
        return [
            Warning(
                "The cache does not answer: failed-attempt velocity counters, brute-force "
                "protection and throttling fail open, so those protections are off.",
                hint="Check REDIS_URL / CACHES and that the cache server is running.",
                id="fraud.W010",
            )
        ]
    return []


@register()
def check_geoip(app_configs, **kwargs):
    """fraud.W011: CIAM_GEOIP_PATH is set but the database cannot be read."""
    if geo.database_path() and geo.reader() is None:
        return [
            Warning(
                "CIAM_GEOIP_PATH is set but the GeoIP database cannot be read: the new-country "
                "and impossible-travel signals are off.",
                hint="Point CIAM_GEOIP_PATH at a MaxMind GeoIP2/GeoLite2 City .mmdb file.",
                id="fraud.W011",
            )
        ]
    return []
