"""Headless Chromium driven by Playwright against pytest-django's live server.

Chromium comes from Debian (/usr/bin/chromium); Playwright never downloads a browser here.
Pages are served on ``localhost`` (WebAuthn refuses 127.0.0.1 as an origin).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make between
# page actions are still synchronous, so Django's async-safety guard is relaxed for them.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def _playwright():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        yield pw


@pytest.fixture
def browser(_playwright, chromium_path):
    browser = _playwright.chromium.launch(
        executable_path=chromium_path,
        headless=True,
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    )
    yield browser
    browser.close()


@pytest.fixture
def site_url(live_server):
    """The live server's address on ``localhost``, with the demo site's name on the pages."""
    from django.contrib.sites.models import Site

    Site.objects.filter(pk=1).update(name="django-ciam demo")
    Site.objects.clear_cache()
    return live_server.url.replace("127.0.0.1", "localhost")


@pytest.fixture
def page(browser, site_url):
    context = browser.new_context(base_url=site_url, viewport={"width": 1200, "height": 860})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def screenshot():
    """Save a full-page screenshot under docs/screenshots/ for the README."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
