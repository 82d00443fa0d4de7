"""A user agent in words ("Firefox on Windows"), for people reading their recent sign-ins.

Deliberately small: the family of the browser and of the operating system, in the order that
disambiguates them (Edge and Opera say "Chrome" too, Chrome says "Safari"). Anything unknown
is "Unknown browser"; the raw string stays in the event log.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

# Only the start of a header is examined: a 10 kB user agent costs no more than a normal one.
_MAX_EXAMINED = 512

_BROWSERS = [
    (re.compile(r"Edg(e|A|iOS)?/"), "Edge"),
    (re.compile(r"OPR/|Opera"), "Opera"),
    (re.compile(r"SamsungBrowser/"), "Samsung Internet"),
    (re.compile(r"Firefox/|FxiOS/"), "Firefox"),
    (re.compile(r"HeadlessChrome/"), "Headless Chrome"),
    (re.compile(r"Chrome/|CriOS/"), "Chrome"),
    (re.compile(r"Version/[\d.]+.*Safari/"), "Safari"),
    (re.compile(r"curl/"), "curl"),
    (re.compile(r"python-requests/|python-urllib|aiohttp/|httpx/"), "Python script"),
]

_SYSTEMS = [
    (re.compile(r"iPhone|iPad|iPod"), "iOS"),
    (re.compile(r"Android"), "Android"),
    (re.compile(r"CrOS"), "ChromeOS"),
    (re.compile(r"Windows"), "Windows"),
    (re.compile(r"Mac OS X|Macintosh"), "macOS"),
    (re.compile(r"Linux|X11"), "Linux"),
]


def _first(patterns, text: str) -> str:
    for pattern, name in patterns:
        if pattern.search(text):
            return name
    return ""


def describe_user_agent(user_agent: str | None, unknown: str | None = None) -> str:
    """Browser and operating system in words, e.g. "Firefox on Windows"; ``unknown`` (default
    "Unknown browser") when the header names neither."""
    text = (user_agent or "")[:_MAX_EXAMINED]
    browser = _first(_BROWSERS, text)
    system = _first(_SYSTEMS, text)
    if browser and system:
        return _("%(browser)s on %(system)s") % {"browser": browser, "system": system}
    if browser or system:
        return browser or system
    return unknown if unknown is not None else _("Unknown browser")
