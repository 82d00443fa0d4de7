"""Fixtures of the notification tests: Celery eager (as in the embedded default) unless a test
asks for a real broker, sign-ins through the hosted login form, an administrator who holds the
alert permission, and the emails as a user reads them."""

from __future__ import annotations

import html
import re
from email import message_from_string

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from notifications.models import Notification, NotificationSettings
from tests.fraud.sift_support import celery_app

LOGIN = "/accounts/login/"
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
HOME = "203.0.113.10"
AWAY = "198.51.100.23"


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def celery_eager():
    """Tasks run in-process, as in the embedded default (even when REDIS_URL is set)."""
    with celery_app(task_always_eager=True, broker_url="memory://") as app:
        yield app


@pytest.fixture
def notify(db):
    """Change the notification settings for one test (validated as the admin does)."""

    def apply(**fields) -> NotificationSettings:
        current = NotificationSettings.load()
        for name, value in fields.items():
            setattr(current, name, value)
        current.full_clean()
        current.save()
        return NotificationSettings.load()

    return apply


@pytest.fixture
def security_admin(make_user):
    """A staff account holding "Can receive security alerts" (not a superuser)."""
    admin = make_user("secops", "secops@example.com", is_staff=True)
    admin.user_permissions.add(Permission.objects.get(codename="receive_security_alerts"))
    return admin


@pytest.fixture
def sign_in(password):
    """POST the hosted login form from ``ip`` with ``user_agent``; the client keeps its device
    cookie (a browser)."""

    def post(client: Client, ip: str = HOME, identifier: str = "alice", secret=None, **extra):
        extra.setdefault("HTTP_USER_AGENT", FIREFOX)
        return client.post(
            LOGIN,
            {"login": identifier, "password": password if secret is None else secret},
            REMOTE_ADDR=ip,
            **extra,
        )

    return post


@pytest.fixture
def known_device(sign_in):
    """A first sign-in (history for the risk engine) from a browser, then signed out. Returns
    that browser."""

    def make(ip: str = HOME, identifier: str = "alice") -> Client:
        client = Client()
        response = sign_in(client, ip, identifier)
        assert response.status_code == 302, response.content[:300]
        client.post("/accounts/logout/")
        return client

    return make


class Email:
    """One sent message as its reader sees it: subject, recipient, text and HTML bodies, and
    the links in each."""

    def __init__(self, message):
        self.message = message
        self.subject = message.subject
        self.to = list(message.to)
        self.text = message.body
        (self.html,) = [body for body, kind in message.alternatives if kind == "text/html"]

    def link(self, path_prefix: str) -> str:
        """The one link to ``path_prefix``, the same in the text and the HTML body; returned
        as a path (the test client has no host)."""
        pattern = rf"https?://[^/\s\"]+({re.escape(path_prefix)}[^\s\"<]*)"
        in_text = set(re.findall(pattern, self.text))
        in_html = set(re.findall(pattern, self.html))
        assert len(in_text) == 1 and in_text == in_html, (in_text, in_html)
        return in_text.pop()

    def has_link(self, path_prefix: str) -> bool:
        return path_prefix in self.text or path_prefix in self.html

    def mentions(self, phrase: str) -> bool:
        """``phrase`` is in the text body and in the HTML body's text."""
        inline = re.sub(r"</?(?:a|strong|em|b|span)\b[^>]*>", "", self.html)
        html_text = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", inline)))
        return phrase in re.sub(r"\s+", " ", self.text) and phrase in html_text

    def says(self, *phrases: str) -> bool:
        """Every phrase is in both bodies; otherwise fails, naming the missing ones."""
        missing = [p for p in phrases if not self.mentions(p)]
        assert not missing, f"{missing} not in:\n{self.text}"
        return True

    def headers(self):
        return message_from_string(self.message.message().as_string())


def emails(outbox, to: str | None = None) -> list[Email]:
    return [Email(m) for m in outbox if to is None or to in m.to]


def rows(kind: str | None = None):
    found = Notification.objects.order_by("pk")
    return found.filter(kind=kind) if kind else found
