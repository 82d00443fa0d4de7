"""The "This wasn't me" link in headless Chromium: Alice is signed in at home, an intruder
signs in from another browser, Alice opens the link of the email she got, secures her account,
and both browsers that were signed in as her are signed out; she sets a new password and signs
in."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
from django.core import mail

from tests.browser.test_hosted_pages import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SECURITY = re.compile("/accounts/security/")
NEW_PASSWORD = "a fresh passphrase for alice 9"


@pytest.fixture
def eager_celery():
    """The live server runs in another thread, under Celery's default app: make it the site's
    app, sending email in process (the embedded default) whatever REDIS_URL says. (A test
    worker started earlier in the session leaves its own app as the default.)"""
    from celery import _state

    from config.celery import app

    saved_default, saved_eager = _state.default_app, app.conf.task_always_eager
    app.set_default()
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = saved_eager
    _state.set_default_app(saved_default)


def new_page(browser, site_url):
    context = browser.new_context(base_url=site_url, viewport={"width": 1200, "height": 860})
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


def is_signed_in(page) -> bool:
    page.goto("/accounts/security/")
    return urlparse(page.url).path == "/accounts/security/"


def test_this_wasnt_me_signs_out_every_browser(
    browser, site_url, user, password, eager_celery, screenshot
):
    home = new_page(browser, site_url)
    sign_in(home, "alice", password)
    home.wait_for_url(SECURITY)
    assert mail.outbox == []  # the first sign-in: nothing to compare with

    intruder = new_page(browser, site_url)  # another browser: a new device
    sign_in(intruder, "alice@example.com", password)
    intruder.wait_for_url(SECURITY)

    (email,) = mail.outbox
    assert email.to == ["alice@example.com"]
    link = re.search(r"https?://\S+(/notifications/not-me/\S+/)", email.body).group(1)

    mailbox = new_page(browser, site_url)  # Alice opens the link from her mail
    mailbox.goto(link)
    mailbox.get_by_role("heading", name="Secure your account").wait_for()
    screenshot(mailbox, "not_me")
    assert is_signed_in(intruder), "opening the page alone changes nothing"
    mailbox.goto(link)
    mailbox.get_by_role("button", name=re.compile("secure my account", re.I)).click()
    mailbox.wait_for_url(re.compile("/accounts/password/reset/key/"))

    # Both browsers that were signed in as Alice are signed out.
    assert not is_signed_in(intruder)
    assert not is_signed_in(home)

    # She chooses a new password on the page she was sent to, and signs in with it.
    mailbox.get_by_label(re.compile("^new password$", re.I)).fill(NEW_PASSWORD)
    mailbox.get_by_label(re.compile("new password \\(again\\)|confirm", re.I)).fill(NEW_PASSWORD)
    save = re.compile("change password|set password|save", re.I)
    mailbox.get_by_role("button", name=save).click()
    mailbox.wait_for_url(re.compile("/accounts/password/reset/key/done/|/accounts/login/"))
    sign_in(home, "alice", NEW_PASSWORD)
    home.wait_for_url(SECURITY)

    # The link worked once.
    mailbox.goto(link)
    assert "already used" in mailbox.content()
