"""The templates: every kind renders a one-line subject, a text and an HTML body in the shared
layout; the site's name and domain come from django.contrib.sites; a site overrides any
template, or the layout, by giving one of the same name earlier in its template path."""

from __future__ import annotations

import re

import pytest
from django.contrib.sites.models import Site

from notifications.emails import build_email
from notifications.models import Kind, Notification

pytestmark = pytest.mark.django_db

NOW = "2025-03-04T05:06:07+00:00"
SIGN_IN = {"at": NOW, "ip": "198.51.100.23", "user_agent": "Mozilla/5.0 (X11; Linux) Firefox/128"}
CONTEXTS = {
    Kind.SUSPICIOUS_SIGN_IN: {**SIGN_IN, "reasons": ["new_device", "new_country"]},
    Kind.BRUTE_FORCE_BLOCKED: {**SIGN_IN, "unblock_url": "http://testserver/fraud/unblock/x/"},
    Kind.BREACHED_PASSWORD: {**SIGN_IN, "reason": "too common", "blocked": True},
    Kind.ACCOUNT_CHANGED: {**SIGN_IN, "change": "mfa_removed", "method": "totp"},
    Kind.PASSKEY_CLONE: {**SIGN_IN, "passkey_name": "Phone"},
    Kind.ADMIN_IP_THROTTLED: {"at": NOW, "ip": "198.51.100.23", "limit": "login",
                              "retry_after": 900, "failures_1h": 100, "accounts_1h": 97},
    Kind.ADMIN_BREACHED_PASSWORD: {"at": NOW, "ip": "198.51.100.23", "reason": "too common",
                                   "blocked": True, "username": "alice", "seen_24h": 4},
    Kind.ADMIN_SIFT_DECISION: {"at": NOW, "decision": 1, "decision_id": "bad",
                               "action_label": "Account locked", "username": "alice",
                               "applied_24h": 2},
    Kind.ADMIN_PASSKEY_CLONE: {"at": NOW, "ip": "198.51.100.23", "passkey_name": "Phone",
                               "passkey": 1, "username": "alice", "stored_sign_count": 41,
                               "received_sign_count": 17},
    Kind.ADMIN_NOT_ME: {"at": NOW, "ip": "203.0.113.10", "username": "alice",
                        "sessions_ended": 2, "reported_sign_in_ip": "198.51.100.23"},
    Kind.ADMIN_DIGEST: {"at": NOW, "since": NOW, "frequency": "weekly", "total": 3,
                        "sections": [{"kind": "admin_ip_throttled", "count": 3, "accounts": 0,
                                      "ips": [["198.51.100.23", 2], ["192.0.2.1", 1]]}]},
}  # fmt: skip


def render(kind: str, user=None) -> object:
    row = Notification.objects.create(
        kind=kind,
        user=user if kind in {k for k in Kind if not k.startswith("admin_")} else None,
        recipient="someone@example.com",
        idempotency_key=f"test:{kind}",
        context=CONTEXTS[kind],
    )
    return build_email(row)


@pytest.mark.parametrize("kind", Kind.values)
def test_every_kind_renders_subject_text_and_html(kind, user):
    message = render(kind, user)
    (html, mimetype) = message.alternatives[0]
    assert mimetype == "text/html"
    assert message.subject and "\n" not in message.subject
    assert message.to == ["someone@example.com"]
    for body in (message.body, html):
        assert "{{" not in body and "{%" not in body
        assert "example.com" in body  # the site, from django.contrib.sites
    # The shared layout: one look for every kind.
    assert html.startswith("<!DOCTYPE html>") and 'role="presentation"' in html
    assert message.body.rstrip().splitlines()[-1].startswith("An automatic security")
    # Text is text: nothing escaped for HTML in it.
    assert "&#x27;" not in message.body and "&amp;" not in message.body


@pytest.fixture
def acme_site():
    Site.objects.filter(pk=1).update(name="Acme Bank", domain="login.acme.example")
    Site.objects.clear_cache()
    yield
    Site.objects.clear_cache()  # the process-wide cache would outlive the rolled-back row


def test_the_sites_name_and_domain_come_from_django_contrib_sites(user, acme_site):
    message = render(Kind.SUSPICIOUS_SIGN_IN, user)
    assert message.subject == "New sign-in to your Acme Bank account"
    assert "Acme Bank (login.acme.example)" in message.body


def test_a_site_overrides_one_template_or_the_layout(user, settings, tmp_path):
    folder = tmp_path / "notifications" / "email"
    folder.mkdir(parents=True)
    (folder / "suspicious_sign_in_subject.txt").write_text("Was this you, {{ username }}?")
    (folder / "base_message.html").write_text(
        "<html><body class='acme'>{% block content %}{% endblock %}</body></html>"
    )
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]

    message = render(Kind.SUSPICIOUS_SIGN_IN, user)
    assert message.subject == "Was this you, alice?"
    assert message.alternatives[0][0].startswith("<html><body class='acme'>")
    other = render(Kind.PASSKEY_CLONE, user)
    assert "class='acme'" in other.alternatives[0][0]  # every kind shares the layout


def test_every_user_facing_string_of_the_templates_is_translatable():
    from pathlib import Path

    import notifications

    folder = Path(notifications.__file__).parent / "templates" / "notifications"
    for path in folder.rglob("*.*"):
        text = path.read_text()
        # Remove tags, comments, variables and markup: what is left must be nothing but
        # punctuation, or the template has words outside {% translate %}.
        bare = re.sub(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}", "", text, flags=re.S)
        bare = re.sub(
            r"{%\s*(blocktranslate|blocktrans)\b.*?{%\s*endblocktranslate\s*%}",
            "",
            bare,
            flags=re.S,
        )
        bare = re.sub(r"{% block body_class %}.*?{% endblock %}", "", bare)  # CSS classes
        bare = re.sub(r"{%.*?%}|{{.*?}}|<[^>]+>", "", bare, flags=re.S)
        words = re.findall(r"[A-Za-z]{2,}", bare)
        assert not words, (path.name, words)
