"""The built-in proof-of-work CAPTCHA in headless Chromium: the page's script solves the
server's challenge with SubtleCrypto and the sign-in goes through; without JavaScript the page
says why it cannot, and the server refuses the form."""

from __future__ import annotations

import re

import pytest

from fraud.events.models import EventType, SecurityEvent
from tests.fraud.protection_support import protect_fixture  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def always_pow(protect):
    # The default difficulty: what a visitor's browser really does.
    return protect(captcha_login="always", pow_difficulty=16)


def fill(page, identifier: str, password: str) -> None:
    page.get_by_label(re.compile("username or email", re.I)).fill(identifier)
    page.get_by_label(re.compile("^password", re.I)).fill(password)


def test_the_browser_solves_the_proof_of_work_and_signs_in(
    page, user, password, always_pow, screenshot
):
    page.goto("/accounts/login/")
    # Sent at once, before the answer is found: the script waits for it, then sends.
    fill(page, "alice", password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(re.compile("/accounts/security/"), timeout=30_000)
    solved = SecurityEvent.objects.get(type=EventType.CAPTCHA_SOLVED)
    assert solved.data["provider"] == "pow" and solved.reason == "proof of work, 16 bits"

    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.wait_for_selector("[data-ciam-pow-solved]", timeout=30_000)
    status = page.get_by_role("status")
    assert "Check complete" in status.inner_text()
    fill(page, "alice", password)
    screenshot(page, "captcha")


def test_without_javascript_the_page_says_so_and_the_form_is_refused(
    browser, site_url, user, password, always_pow
):
    context = browser.new_context(base_url=site_url, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/accounts/login/")
        # Chromium with scripts switched off by Playwright still parses <noscript> as text; a
        # browser without JavaScript shows it.
        fallback = page.locator("[data-ciam-pow] noscript").text_content()
        assert "This check needs JavaScript" in fallback
        assert "without a puzzle" in page.get_by_role("status").inner_text()  # no script ran
        fill(page, "alice", password)
        page.get_by_role("button", name="Sign in", exact=True).click()
        page.wait_for_load_state()
        assert "/accounts/login/" in page.url
        assert page.get_by_text("Complete the check below to continue.").is_visible()
    finally:
        context.close()
