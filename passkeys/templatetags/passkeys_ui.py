"""Template tags of the passkeys app: ``{% load passkeys_ui %}``.

- ``{% passkeys_script %}``: the ceremony script, its stylesheet and its translated messages,
  once per page.
- ``{% passkey_signup_enabled as enabled %}``: whether passwordless sign-up is on.
"""

from __future__ import annotations

from django import template
from django.templatetags.static import static
from django.utils.html import format_html, json_script
from django.utils.translation import gettext as _

register = template.Library()

_RENDERED_ATTR = "ciam_passkeys_script_rendered"


def script_messages() -> dict[str, str]:
    return {
        "cancelled": _(
            "The passkey prompt was closed or timed out, or your device could not confirm "
            "it's you. Try again."
        ),
        "already_registered": _("This device already has a passkey for your account."),
        "wrong_site": _("Passkeys can't be used on this address of the site."),
        "unsupported": _("This browser can't use passkeys."),
        "offline": _("The site could not be reached. Check your connection and try again."),
        "failed": _("Something went wrong with the passkey. Try again."),
    }


@register.simple_tag(takes_context=True)
def passkeys_script(context: template.Context) -> str:
    # Marked on the request: included templates render in render contexts of their own.
    request = context.get("request")
    if request is not None:
        if getattr(request, _RENDERED_ATTR, False):
            return ""
        setattr(request, _RENDERED_ATTR, True)
    # A stylesheet link is valid in the body, where included templates end up.
    return format_html(
        '<link rel="stylesheet" href="{}">{}<script src="{}" defer></script>',
        static("passkeys/passkeys.css"),
        json_script(script_messages(), "ciam-passkeys-messages"),
        static("passkeys/passkeys.js"),
    )


@register.simple_tag(takes_context=True)
def passkey_signup_enabled(context: template.Context) -> bool:
    from ..views.signup import signup_enabled

    request = context.get("request")
    return bool(request is not None and signup_enabled(request))
