"""Default names of new passkeys: the provider when its AAGUID is well known ("iCloud
Keychain", "1Password"), else the browser and OS that created it ("Chrome on Windows")."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from django.utils.translation import gettext as _

from ciam.user_agents import describe_user_agent

AAGUIDS_FILE = Path(__file__).resolve().parent / "data" / "aaguids.json"
MAX_NAME = 100


@cache
def known_aaguids() -> dict[str, str]:
    """The shipped AAGUID -> provider name map (read once per process)."""
    entries = json.loads(AAGUIDS_FILE.read_text(encoding="utf-8"))
    return {key.lower(): name for key, name in entries.items() if not key.startswith("_")}


def provider_name(aaguid: str) -> str | None:
    return known_aaguids().get((aaguid or "").lower())


def device_name(user_agent: str) -> str:
    """ "Chrome on macOS", "Safari on iOS"; "Passkey" when the user agent says nothing."""
    return describe_user_agent(user_agent, unknown=_("Passkey"))


def default_name(aaguid: str, user_agent: str) -> str:
    return (provider_name(aaguid) or device_name(user_agent))[:MAX_NAME]


def clean_name(name, fallback: str) -> str:
    """A name typed by the user, with spaces collapsed and cut to the column's size; the
    fallback when nothing usable was typed."""
    if not isinstance(name, str):
        return fallback
    name = " ".join(name.split())[:MAX_NAME]
    return name or fallback
