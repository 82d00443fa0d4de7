"""System check notifications.W001, and what an email says without the "This wasn't me" page."""

from __future__ import annotations

import pytest
from django.test import Client

from notifications.checks import check_urls_included
from tests.notifications.conftest import AWAY, emails

pytestmark = pytest.mark.django_db(transaction=True)


def test_w001_when_the_urls_are_not_included(settings):
    assert check_urls_included() == []
    settings.ROOT_URLCONF = "tests.notifications.urls_without_notifications"
    (warning,) = check_urls_included()
    assert warning.id == "notifications.W001"
    assert 'include("notifications.urls")' in warning.hint


def test_without_the_page_the_email_points_to_a_password_reset(
    user, sign_in, known_device, settings, mailoutbox
):
    settings.ROOT_URLCONF = "tests.notifications.urls_without_notifications"
    known_device()
    assert sign_in(Client(), AWAY).status_code == 302
    (email,) = emails(mailoutbox)
    assert not email.has_link("/notifications/not-me/")
    assert email.says("If it wasn't you, reset your password")
    assert email.link("/accounts/password/reset/")
