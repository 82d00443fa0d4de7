"""The "Recent sign-ins" section of the Account security page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from ciam.user_agents import describe_user_agent
from tests.fraud.conftest import LONDON

SECURITY = reverse("ciam:account_security")


@pytest.mark.django_db
def test_the_account_page_lists_recent_sign_ins(user, make_user, sign_in, geoip):
    browser = Client()
    sign_in(Client(), LONDON, secret="wrong")  # a failure: not the user's to see
    sign_in(Client(), "203.0.113.9", identifier="bob", secret="x")
    make_user("bob")
    sign_in(Client(), LONDON, identifier="bob")  # someone else's sign-in
    sign_in(browser, LONDON)

    page = browser.get(SECURITY)

    assert page.status_code == 200
    body = page.content.decode()
    assert "Recent sign-ins" in body
    assert "Firefox on Windows" in body
    assert "London, United Kingdom" in body
    assert "Signed in" in body
    (section,) = [s for s in page.context["sections"] if s["title"] == "Recent sign-ins"]
    assert len(section["context"]["events"]) == 1


@pytest.mark.parametrize(
    "user_agent, words",
    [
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0",
            "Edge on Windows",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like "
            "Gecko) Version/17.5 Safari/605.1.15",
            "Safari on macOS",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) CriOS/126.0.6478.54 Mobile/15E148 Safari/604.1",
            "Chrome on iOS",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0.0.0 Mobile Safari/537.36",
            "Chrome on Android",
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
            "Firefox on Linux",
        ),
        ("curl/8.5.0", "curl"),
        ("", "Unknown browser"),
        ("x" * 10_000 + " Firefox/1", "Unknown browser"),
    ],
)
def test_user_agents_in_words(user_agent, words):
    assert describe_user_agent(user_agent) == words
