"""Fixtures of the attack-protection tests: settings, fakes on loopback (Have I Been Pwned, the
CAPTCHA verifiers), a browser-like client, signal capture.

Import what a module needs: ``from tests.fraud.protection_support import protect_fixture``
(the fixture is ``protect``).
"""

from __future__ import annotations

import re

import pytest
from django.test import Client

from fraud.protection import hibp as hibp_client
from fraud.protection.models import AttackProtectionSettings
from tests.fakes.captcha import FakeCaptchaVerifier
from tests.fakes.hibp import FakePwnedPasswords

LOGIN = "/accounts/login/"
SIGNUP = "/accounts/signup/"
RESET = "/accounts/password/reset/"
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
# What a real browser sends with every request.
BROWSER = {
    "HTTP_USER_AGENT": FIREFOX,
    "HTTP_ACCEPT": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.5",
    "HTTP_ACCEPT_ENCODING": "gzip, deflate, br",
}


@pytest.fixture(name="protect")
def protect_fixture(db):
    """Change the attack-protection settings for one test (validated like the admin does)."""

    def apply(**fields) -> AttackProtectionSettings:
        settings = AttackProtectionSettings.load()
        for name, value in fields.items():
            setattr(settings, name, value)
        settings.full_clean()
        settings.save()
        return AttackProtectionSettings.load()

    return apply


@pytest.fixture(name="hibp")
def hibp_fixture(settings):
    """The fake Pwned Passwords API, and the suite pointed at it."""
    hibp_client.reset_outage()
    with FakePwnedPasswords() as fake:
        settings.CIAM_HIBP_API_URL = fake.url
        settings.CIAM_HIBP_TIMEOUT = (1.0, 0.5)
        yield fake
    hibp_client.reset_outage()


@pytest.fixture(name="captcha_verifier")
def captcha_verifier_fixture(settings):
    """Factory: a fake verifier of ``kind`` ("turnstile", "hcaptcha", "recaptcha"), with the
    matching CIAM_*_VERIFY_URL pointed at it."""
    started = []
    names = {
        "turnstile": "CIAM_TURNSTILE_VERIFY_URL",
        "hcaptcha": "CIAM_HCAPTCHA_VERIFY_URL",
        "recaptcha": "CIAM_RECAPTCHA_VERIFY_URL",
    }

    def start(kind: str) -> FakeCaptchaVerifier:
        fake = FakeCaptchaVerifier(kind).start()
        started.append(fake)
        setattr(settings, names[kind], f"{fake.url}/siteverify")
        settings.CIAM_CAPTCHA_TIMEOUT = (1.0, 0.5)
        return fake

    yield start
    for fake in started:
        fake.stop()


@pytest.fixture(name="received")
def received_fixture(connect_receiver):
    """Factory: the list of keyword arguments each send of ``signal`` carried."""

    def capture(signal) -> list[dict]:
        calls: list[dict] = []
        connect_receiver(signal, lambda sender, **kwargs: calls.append(kwargs))
        return calls

    return capture


def browser(ip: str) -> Client:
    """A client that sends what a browser sends, from ``ip``."""
    return Client(REMOTE_ADDR=ip, **BROWSER)


def form_fields(html: str) -> dict[str, str]:
    """The hidden inputs of a page (CSRF token, form token, CAPTCHA challenge)."""
    fields = {}
    for tag in re.findall(r"<input[^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name and 'type="hidden"' in tag:
            fields[name.group(1)] = value.group(1) if value else ""
    return fields
