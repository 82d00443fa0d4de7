"""The admin: the settings page (each kind on or off, who receives alerts, validated on save)
and the delivery log (kind, masked recipient, status, attempts, last error) with its resend
action."""

from __future__ import annotations

import logging
import socketserver
import threading

import pytest
from django.test import Client
from django.urls import reverse

from notifications.models import Kind, Notification, NotificationSettings
from tests.notifications.conftest import AWAY, emails, rows

pytestmark = pytest.mark.django_db(transaction=True)

SETTINGS_URL = reverse("admin:ciam_notifications_notificationsettings_changelist")
LOG_URL = reverse("admin:ciam_notifications_notification_changelist")


def settings_form(admin_client) -> dict:
    """The settings page's fields as the browser would send them back."""
    page = admin_client.get(SETTINGS_URL, follow=True)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = value
    return data, page.request["PATH_INFO"]


def test_the_settings_page_shows_every_switch_with_its_default(admin_client):
    page = admin_client.get(SETTINGS_URL, follow=True)
    body = page.content.decode()
    for field in NotificationSettings._meta.fields:
        if field.name != "id":
            assert f'name="{field.name}"' in body, field.name
            assert "Default:" in str(field.help_text), field.name
    # Who receives alerts now: the superuser of admin_client, masked.
    assert "a•••@example.com" in body and "admin@example.com" not in body


def test_settings_are_validated_on_save(admin_client):
    data, url = settings_form(admin_client)
    data["alert_addresses"] = "soc@example.org\nnot an address"
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "Not an email address: not an address" in response.content.decode()

    data["alert_addresses"] = "soc@example.org"
    data.pop("suspicious_sign_in")  # switched off
    assert admin_client.post(url, data).status_code == 302
    saved = NotificationSettings.load()
    assert saved.listed_addresses() == ["soc@example.org"] and not saved.suspicious_sign_in


@pytest.fixture
def sent(user, sign_in, known_device, mailoutbox):
    known_device()
    assert sign_in(Client(), AWAY).status_code == 302
    return rows(Kind.SUSPICIOUS_SIGN_IN).get()


def test_the_delivery_log_masks_recipients(admin_client, sent):
    body = admin_client.get(LOG_URL).content.decode()
    assert "a•••@example.com" in body and "alice@example.com" not in body
    assert "New sign-in to your account" in body and "Sent" in body

    detail = admin_client.get(
        reverse("admin:ciam_notifications_notification_change", args=[sent.pk])
    )
    text = detail.content.decode()
    assert detail.status_code == 200
    assert "alice@example.com" not in text
    assert sent.context["device_hash"] not in text  # shortened
    assert AWAY in text


def test_unblock_links_are_masked_in_the_log(admin_client, user, sign_in, mailoutbox):
    for _ in range(10):
        sign_in(Client(), AWAY, secret="wrong")
    row = rows(Kind.BRUTE_FORCE_BLOCKED).get()
    token = row.context["unblock_url"].rstrip("/").rsplit("/", 1)[1]
    text = admin_client.get(
        reverse("admin:ciam_notifications_notification_change", args=[row.pk])
    ).content.decode()
    assert "/fraud/unblock/•••/" in text and token not in text


def test_resend_sends_again(admin_client, sent, mailoutbox):
    response = admin_client.post(
        LOG_URL, {"action": "resend", "_selected_action": [sent.pk]}, follow=True
    )
    assert "1 email queued to be sent again." in response.content.decode()
    assert [e.subject for e in emails(mailoutbox)] == [
        "New sign-in to your example.com account"
    ] * 2
    sent.refresh_from_db()
    assert (sent.status, sent.attempts) == (Notification.Status.SENT, 1)


def test_log_rows_are_read_only(admin_client, sent):
    url = reverse("admin:ciam_notifications_notification_change", args=[sent.pk])
    page = admin_client.get(url).content.decode()
    assert 'name="recipient"' not in page and "Save" not in page
    assert admin_client.get(reverse("admin:ciam_notifications_notification_add")).status_code == 403


class _RefusingSMTP(socketserver.StreamRequestHandler):
    """A mail server that knows no mailbox: every RCPT TO is answered 550."""

    def handle(self):
        self.wfile.write(b"220 fake ESMTP\r\n")
        for line in self.rfile:
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                self.wfile.write(b"250 fake\r\n")
            elif verb == b"RCPT":
                self.wfile.write(
                    b"550 5.1.1 <" + line[9:].strip(b"<> \r\n") + b">: no such user\r\n"
                )
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


@pytest.fixture
def refusing_smtp(settings):
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _RefusingSMTP)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = server.server_address
    settings.EMAIL_TIMEOUT = 5
    yield
    server.shutdown()
    server.server_close()


def test_a_refused_recipient_is_masked_in_the_log(
    admin_client, user, sign_in, known_device, refusing_smtp, caplog
):
    known_device()
    with caplog.at_level(logging.WARNING, logger="ciam.notifications"):
        assert sign_in(Client(), AWAY).status_code == 302
    row = rows(Kind.SUSPICIOUS_SIGN_IN).get()
    assert row.status == Notification.Status.PENDING
    assert row.last_error.startswith("SMTPRecipientsRefused")
    assert "a•••@example.com" in row.last_error and "alice@example.com" not in row.last_error
    assert "alice@example.com" not in caplog.text

    changelist = admin_client.get(LOG_URL).content.decode()
    detail = admin_client.get(
        reverse("admin:ciam_notifications_notification_change", args=[row.pk])
    ).content.decode()
    for page in (changelist, detail):
        assert "SMTPRecipientsRefused" in page and "alice@example.com" not in page
