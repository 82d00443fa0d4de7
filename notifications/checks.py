"""System checks of the notifications app."""

from __future__ import annotations

from django.core import checks
from django.urls import NoReverseMatch, reverse


@checks.register(checks.Tags.urls)
def check_urls_included(app_configs=None, **kwargs):
    try:
        reverse("ciam_notifications:not_me", args=["x"])
    except NoReverseMatch:
        return [
            checks.Warning(
                "notifications.urls is not included: security emails carry no "
                '"This wasn\'t me" link.',
                hint='Add path("notifications/", include("notifications.urls")) to your URLs.',
                id="notifications.W001",
            )
        ]
    return []
