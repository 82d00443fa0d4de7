"""System checks of the passkeys app: a relying party id that no origin can use makes every
passkey ceremony fail in the browser, so it is reported at start-up; so is a beat schedule
without the purge of expired challenges, which would let them pile up."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from django.conf import settings as django_settings
from django.core.checks import Error, Tags, Warning, register

from .conf import settings

LOCAL_HOSTS = {"localhost"}
PURGE_TASK = "passkeys.purge_expired_challenges"


def rp_id_fits(rp_id: str, host: str) -> bool:
    """WebAuthn's rule: the RP ID is the origin's host or a registrable suffix of it."""
    rp_id, host = rp_id.lower().rstrip("."), host.lower().rstrip(".")
    return host == rp_id or host.endswith("." + rp_id)


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value.strip("[]"))
    except ValueError:
        return False
    return True


@register(Tags.security)
def check_webauthn_settings(app_configs, **kwargs):
    problems = []
    rp_id = settings.WEBAUTHN_RP_ID
    origins = settings.WEBAUTHN_ORIGINS
    if not rp_id or "/" in rp_id or ":" in rp_id or _is_ip(rp_id):
        problems.append(
            Error(
                f"CIAM_WEBAUTHN_RP_ID {rp_id!r} is not a domain name.",
                hint='Use the site\'s domain, e.g. "example.com" (no scheme, port or IP).',
                id="passkeys.E002",
            )
        )
        return problems
    if not origins:
        problems.append(
            Error(
                "CIAM_WEBAUTHN_ORIGINS is empty: no page may use passkeys.",
                hint='List the origins of the login pages, e.g. ["https://example.com"].',
                id="passkeys.E003",
            )
        )
    for origin in origins:
        parts = urlsplit(origin)
        host = parts.hostname or ""
        if parts.scheme not in ("https", "http") or not host or parts.path not in ("", "/"):
            problems.append(
                Error(
                    f"CIAM_WEBAUTHN_ORIGINS has {origin!r}, which is not an origin.",
                    hint='An origin is a scheme, host and optional port: "https://example.com".',
                    id="passkeys.E003",
                )
            )
            continue
        if not rp_id_fits(rp_id, host):
            problems.append(
                Error(
                    f"CIAM_WEBAUTHN_RP_ID {rp_id!r} is not the host of {origin!r} nor a "
                    "registrable suffix of it: browsers will refuse every passkey there.",
                    hint=f'Set CIAM_WEBAUTHN_RP_ID to "{host}" or a parent domain of it.',
                    id="passkeys.E001",
                )
            )
        elif parts.scheme == "http" and host not in LOCAL_HOSTS:
            problems.append(
                Warning(
                    f"{origin!r} is plain HTTP: browsers allow passkeys over HTTP only on "
                    "localhost.",
                    hint="Serve the login pages over HTTPS.",
                    id="passkeys.W001",
                )
            )
    return problems


@register(Tags.compatibility)
def check_challenge_purge(app_configs, **kwargs):
    schedule = getattr(django_settings, "CELERY_BEAT_SCHEDULE", None) or {}
    if any(entry.get("task") == PURGE_TASK for entry in schedule.values()):
        return []
    return [
        Warning(
            f"CELERY_BEAT_SCHEDULE has no entry for {PURGE_TASK}: passkey challenges that "
            "were never answered (one per login page load) are never deleted.",
            hint="Merge passkeys.schedule.BEAT_SCHEDULE into CELERY_BEAT_SCHEDULE and run "
            "`celery -A config beat`.",
            id="passkeys.W002",
        )
    ]
