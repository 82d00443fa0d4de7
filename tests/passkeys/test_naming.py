"""Default passkey names: the provider for well-known AAGUIDs, else browser and OS."""

from __future__ import annotations

import pytest

from passkeys.naming import clean_name, default_name, known_aaguids

UA = {
    "chrome_mac": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "safari_iphone": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "firefox_windows": "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 "
    "Firefox/128.0",
    "edge_windows": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like "
    "Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
    "chrome_android": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like "
    "Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
    "headless_linux": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "HeadlessChrome/131.0.0.0 Safari/537.36",
}


@pytest.mark.parametrize(
    ("aaguid", "name"),
    [
        ("fbfc3007-154e-4ecc-8c0b-6e020557d7bd", "iCloud Keychain"),
        ("EA9B8D66-4D01-1D21-3CE4-B6B48CB575D4", "Google Password Manager"),
        ("08987058-cadc-4b81-b6e1-30de50dcbe96", "Windows Hello"),
        ("bada5566-a7aa-401f-bd96-45619a55120d", "1Password"),
        ("d548826e-79b4-db40-a3d8-11116f7e8349", "Bitwarden"),
        ("adce0002-35bc-c60a-648b-0b25f1f05503", "Chrome on Mac"),
    ],
)
def test_well_known_providers(aaguid, name):
    assert default_name(aaguid, UA["firefox_windows"]) == name


@pytest.mark.parametrize(
    ("agent", "name"),
    [
        ("chrome_mac", "Chrome on macOS"),
        ("safari_iphone", "Safari on iOS"),
        ("firefox_windows", "Firefox on Windows"),
        ("edge_windows", "Edge on Windows"),
        ("chrome_android", "Chrome on Android"),
        ("headless_linux", "Headless Chrome on Linux"),
    ],
)
def test_browser_and_os_otherwise(agent, name):
    assert default_name("00000000-0000-0000-0000-000000000000", UA[agent]) == name


def test_nothing_known():
    assert default_name("", "") == "Passkey"


def test_shipped_map_is_package_data():
    assert len(known_aaguids()) >= 6
    assert all(len(key) == 36 for key in known_aaguids())


@pytest.mark.parametrize(
    ("typed", "expected"),
    [(" Work  phone ", "Work phone"), ("", "fb"), (None, "fb"), ("x" * 300, "x" * 100)],
)
def test_clean_name(typed, expected):
    assert clean_name(typed, "fb") == expected
