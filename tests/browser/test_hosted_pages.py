"""An end user in headless Chromium: sign up, verify the email, sign out and in, enrol TOTP, be
asked for it when the risk check says STEP_UP, and see the deny page when it says DENY."""

from __future__ import annotations

import re
import time

import pytest
from django.core import mail
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from ciam import signals
from ciam.verdicts import Verdict

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMAIL = "new.user@example.com"
PASSWORD = "a long and unusual passphrase 7"


def totp_code(device: TOTPDevice, offset_steps: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + offset_steps * device.step
    return f"{totp.token():0{device.digits}d}"


def sign_in(page, identifier: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label(re.compile("username or email", re.I)).fill(identifier)
    page.get_by_label(re.compile("^password", re.I)).fill(password)
    page.get_by_role("button", name=re.compile("^sign in$", re.I)).click()


def sign_out(page) -> None:
    page.goto("/accounts/logout/")
    page.get_by_role("main").get_by_role("button", name=re.compile("sign out", re.I)).click()
    page.wait_for_url(re.compile(r"/accounts/login/|/$"))


def test_sign_up_verify_step_up_and_deny(page, screenshot, connect_receiver, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    verdict = {"now": Verdict.allow()}
    connect_receiver(signals.risk_check_requested, lambda sender, context, **kw: verdict["now"])

    # Sign up.
    page.goto("/accounts/signup/")
    screenshot(page, "signup")
    page.get_by_label(re.compile("^email", re.I)).fill(EMAIL)
    page.get_by_label(re.compile("^password", re.I)).fill(PASSWORD)
    page.get_by_role("button", name=re.compile("sign up|create", re.I)).click()
    page.wait_for_url(re.compile("/accounts/confirm-email/"))

    # Verify the email from the captured mail.
    (message,) = mail.outbox
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", message.body).group(0)
    page.goto(re.sub(r"^https?://[^/]+", "", link))
    page.get_by_role("button", name=re.compile("confirm", re.I)).click()
    page.wait_for_url(re.compile("/accounts/security/"))
    assert EMAIL in page.content()

    # Sign out, sign in.
    sign_out(page)
    sign_in(page, EMAIL, PASSWORD)
    page.wait_for_url(re.compile("/accounts/security/"))

    # Enrol an authenticator app from Account security.
    page.get_by_role("link", name=re.compile("set up authenticator", re.I)).click()
    page.wait_for_load_state()
    if "/reauthenticate/" in page.url:  # changing second factors asks for the password again
        page.get_by_label(re.compile("password", re.I)).fill(PASSWORD)
        page.get_by_role("button", name=re.compile("confirm", re.I)).click()
    page.wait_for_url(re.compile("/mfa/totp/setup/"))
    assert page.locator("svg").count() >= 1  # the QR code
    # ciam.js runs: the copy button for the manual key shows only with script support.
    assert page.get_by_role("button", name="Copy", exact=True).is_visible()
    device = TOTPDevice.objects.get(user__email=EMAIL, confirmed=False)
    page.get_by_role("textbox", name=re.compile("code", re.I)).fill(totp_code(device))
    page.get_by_role("button", name=re.compile("verify|confirm|activate", re.I)).click()
    page.wait_for_load_state()
    device.refresh_from_db()
    assert device.confirmed
    page.goto("/accounts/security/")
    screenshot(page, "account_security")

    # The risk check asks for a second factor on the next sign-in.
    sign_out(page)
    verdict["now"] = Verdict.step_up(source="test policy")
    sign_in(page, EMAIL, PASSWORD)
    page.wait_for_url(re.compile("/accounts/step-up/"))
    screenshot(page, "step_up")
    page.get_by_role("textbox", name=re.compile("code", re.I)).fill(
        totp_code(device, offset_steps=1)
    )
    page.get_by_role("button", name=re.compile("verify|continue", re.I)).click()
    page.wait_for_url(re.compile("/accounts/security/"))

    # And denies the one after.
    sign_out(page)
    verdict["now"] = Verdict.deny(source="test policy")
    sign_in(page, EMAIL, PASSWORD)
    assert page.get_by_role("heading", name="Login Restricted").is_visible()
    assert "Your login attempt was identified as suspicious." in page.content()
    page.goto("/accounts/security/")
    assert "/accounts/login/" in page.url

    # The login page, as a signed-out visitor sees it.
    page.goto("/accounts/login/")
    screenshot(page, "login")


def test_pages_are_readable_at_360px(browser, site_url, screenshot):
    context = browser.new_context(base_url=site_url, viewport={"width": 360, "height": 740})
    page = context.new_page()
    for path in ["/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"]:
        page.goto(path)
        # Nothing overflows sideways on a small phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, path
        # Every visible input has a label.
        unlabeled = page.evaluate(
            """() => [...document.querySelectorAll('input:not([type=hidden])')]
                .filter(i => i.offsetParent !== null)
                .filter(i => !(i.labels && i.labels.length) && !i.getAttribute('aria-label'))
                .map(i => i.name)"""
        )
        assert unlabeled == [], (path, unlabeled)
    page.goto("/accounts/login/")
    screenshot(page, "login_mobile")
    context.close()


def tab_to(page, name: str) -> None:
    """Press Tab until the field called ``name`` has the focus, as a keyboard user would."""
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == name:
            return
    raise AssertionError(f"the keyboard never reaches {name!r}")


def test_keyboard_only_sign_in(page, make_user, password):
    make_user("kim", "kim@example.com")
    page.goto("/accounts/login/")
    tab_to(page, "login")
    page.keyboard.type("kim")
    tab_to(page, "password")
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile("/accounts/security/"))
