"""System checks of attack protection."""

from __future__ import annotations

from django.core.checks import Tags, Warning, register
from django.urls import NoReverseMatch, reverse


@register(Tags.urls)
def check_unblock_url(app_configs, **kwargs):
    """fraud.W020: the unblock link has no URL (``fraud.urls`` is not included)."""
    try:
        reverse("ciam_fraud:unblock", args=["token"])
    except NoReverseMatch:
        return [
            Warning(
                "fraud.urls is not included in the site's URLs: brute-force emails carry no "
                "unblock link.",
                hint='Add path("fraud/", include("fraud.urls")) to the root URLconf.',
                id="fraud.W020",
            )
        ]
    return []
