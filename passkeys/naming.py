"""Default names of new passkeys: the provider when its AAGUID is well known ("iCloud
Keychain", "1Password"), else the browser and OS that created it ("Chrome on Windows")."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

from django.utils.translation import gettext as _

AAGUIDS_FILE = Path(__file__).resolve().parent / "data" / "aaguids.json"
MAX_NAME = 100

# Order matters: Edge and Opera also say "Chrome", Chrome also says "Safari".
_BROWSERS = (
    (re.compile(r"\bEdg(e|A|iOS)?/"), "Edge"),
    (re.compile(r"\b(OPR|Opera)/"), "Opera"),
    (re.compile(r"\bSamsungBrowser/"), "Samsung Internet"),
    (re.compile(r"\b(Firefox|FxiOS)/"), "Firefox"),
    (re.compile(r"\b(HeadlessChrome|Chrome|Chromium|CriOS)/"), "Chrome"),
    (re.compile(r"\bSafari/"), "Safari"),
)
_SYSTEMS = (
    (re.compile(r"\b(iPhone|iPod)\b"), "iPhone"),
    (re.compile(r"\biPad\b"), "iPad"),
    (re.compile(r"\bAndroid\b"), "Android"),
    (re.compile(r"\bCrOS\b"), "ChromeOS"),
    (re.compile(r"\bWindows\b"), "Windows"),
    (re.compile(r"\bMac OS X\b|\bMacintosh\b"), "macOS"),
    (re.compile(r"\bLinux\b"), "Linux"),
)


@cache
def known_aaguids() -> dict[str, str]:
    """The shipped AAGUID -> provider name map (read once per process)."""
    entries = json.loads(AAGUIDS_FILE.read_text(encoding="utf-8"))
    return {key.lower(): name for key, name in entries.items() if not key.startswith("_")}


def provider_name(aaguid: str) -> str | None:
    return known_aaguids().get((aaguid or "").lower())


def device_name(user_agent: str) -> str:
    """ "Chrome on macOS", "Safari on iPhone"; "Passkey" when the user agent says nothing."""
    user_agent = user_agent or ""
    browser = next((name for pattern, name in _BROWSERS if pattern.search(user_agent)), None)
    system = next((name for pattern, name in _SYSTEMS if pattern.search(user_agent)), None)
    if browser and system:
        return _("%(browser)s on %(system)s") % {"browser": browser, "system": system}
    return browser or system or _("Passkey")


def default_name(aaguid: str, user_agent: str) -> str:
    return (provider_name(aaguid) or device_name(user_agent))[:MAX_NAME]


def clean_name(name, fallback: str) -> str:
    """A name typed by the user, with spaces collapsed and cut to the column's size; the
    fallback when nothing usable was typed."""
    if not isinstance(name, str):
        return fallback
    name = " ".join(name.split())[:MAX_NAME]
    return name or fallback
