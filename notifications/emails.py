"""Rendering one notification into an email: subject, plain text and HTML.

Templates, overridable by the site like allauth's (a template of the same name earlier in the
template path wins): ``notifications/email/<kind>_subject.txt``, ``<kind>_message.txt`` and
``<kind>_message.html``; the messages extend ``notifications/email/base_message.{txt,html}``,
the one shared layout. Every template gets ``site_name``, ``site_domain`` and ``site_url``
(``django.contrib.sites``), ``when``, ``ip``, ``location``, ``device`` (browser and OS in
words) and the links of its kind. Rendered in ``LANGUAGE_CODE``.
"""

from __future__ import annotations

import logging
import re

from allauth.utils import build_absolute_uri
from django.conf import settings as django_settings
from django.contrib.sites.models import Site
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.dateparse import parse_datetime
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from ciam.user_agents import describe_user_agent
from fraud.events.models import EventType

from . import counts
from .conf import settings
from .models import NOT_ME_KINDS, Kind, Notification

logger = logging.getLogger("ciam.notifications")

TEMPLATE_PREFIX = "notifications/email/"

REASONS = {
    "new_device": _("from a device you haven't used before"),
    "new_network": _("from a network you haven't used before"),
    "new_country": _("from a country you haven't signed in from before"),
    "score": _("in a way that looked unusual to us"),
}

CHANGES = {
    "password_changed": _("Your password was changed"),
    "password_set": _("A password was set on your account"),
    "password_reset": _("Your password was reset"),
    "email_changed": _("Your email address was changed"),
    "mfa_added": _("A second factor was added to your account"),
    "mfa_removed": _("A second factor was removed from your account"),
    "passkey_added": _("A passkey was added to your account"),
    "passkey_removed": _("A passkey was removed from your account"),
}

METHODS = {
    "totp": _("an authenticator app"),
    "backup_codes": _("backup codes"),
    "passkey": _("a passkey"),
}


def absolute_url(path: str) -> str:
    """``path`` on the site: the current request's host inside a request, else the domain of
    ``django.contrib.sites`` with ``ACCOUNT_DEFAULT_HTTP_PROTOCOL``."""
    return build_absolute_uri(None, path)


def _url(name: str, *args, query: dict | None = None) -> str:
    try:
        path = reverse(name, args=args)
    except NoReverseMatch:
        return ""
    if query:
        path = f"{path}?{urlencode(query)}"
    return absolute_url(path)


def _admin_url(row: Notification, data: dict) -> str:
    events = "admin:ciam_fraud_securityevent_changelist"
    if row.kind == Kind.ADMIN_IP_THROTTLED:
        return _url(events, query={"q": data.get("ip", "")})
    if row.kind == Kind.ADMIN_BREACHED_PASSWORD:
        return _url(events, query={"type__exact": "breached_password"})
    if row.kind == Kind.ADMIN_SIFT_DECISION and data.get("decision"):
        return _url("admin:ciam_fraud_siftdecision_change", data["decision"])
    if row.kind == Kind.ADMIN_PASSKEY_CLONE and data.get("passkey"):
        return _url("admin:ciam_passkeys_passkey_change", data["passkey"])
    if row.kind == Kind.ADMIN_NOT_ME:
        return _url(events, query={"q": data.get("username", "")})
    if row.kind == Kind.ADMIN_DIGEST:
        return _url(events)
    return ""


def email_context(row: Notification) -> dict:
    """What the templates of ``row.kind`` are given (see the module docstring)."""
    from .not_me import link_for

    data = dict(row.context or {})
    site = Site.objects.get_current()
    context = {
        **data,
        "kind": row.kind,
        "for_admins": row.kind.startswith("admin_"),
        "notification": row,
        "user": row.user,
        "username": data.get("username") or (row.user.get_username() if row.user else ""),
        "site_name": site.name,
        "site_domain": site.domain,
        "site_url": absolute_url("/"),
        "when": parse_datetime(data.get("at") or "") or row.created_at,
        "device": describe_user_agent(data["user_agent"]) if data.get("user_agent") else "",
        "security_url": _url("ciam:account_security"),
        "login_url": _url("account_login"),
        "password_reset_url": _url("account_reset_password"),
    }
    if row.kind == Kind.SUSPICIOUS_SIGN_IN:
        context["reasons"] = [REASONS[r] for r in data.get("reasons", []) if r in REASONS]
    if row.kind == Kind.ACCOUNT_CHANGED:
        context["change_title"] = CHANGES.get(data.get("change", ""), _("Your account changed"))
        context["method_words"] = METHODS.get(data.get("method", ""), "")
    if row.kind in NOT_ME_KINDS and row.user_id and not data.get("by_admin"):
        context["not_me_url"] = link_for(row)
    if row.kind == Kind.ADMIN_DIGEST:
        context["sections"] = [
            {**section, "label": Kind(section["kind"]).label}
            for section in data.get("sections", [])
            if section.get("kind") in Kind.values
        ]
    if context["for_admins"]:
        context["admin_url"] = _admin_url(row, data)
        # Counted now, not in the request that wrote the row (a row written before this
        # change carries its numbers already).
        context.update({k: v for k, v in _counts(row, context["when"]).items() if k not in data})
    return context


def _counts(row: Notification, when) -> dict:
    """The numbers an administrator alert carries, over the window that ends at ``when``."""
    if row.kind == Kind.ADMIN_BREACHED_PASSWORD:
        seen = counts.events_since(EventType.BREACHED_PASSWORD, hours=24, until=when)
        return {"seen_24h": seen}
    if row.kind == Kind.ADMIN_IP_THROTTLED:
        return counts.failures_from((row.context or {}).get("ip", ""), hours=1, until=when)
    if row.kind == Kind.ADMIN_SIFT_DECISION:
        return {"applied_24h": counts.sift_actions_since(hours=24, until=when)}
    return {}


def _connection():
    if getattr(django_settings, "EMAIL_TIMEOUT", None) is None:
        return get_connection(timeout=settings.SMTP_TIMEOUT)
    return get_connection()


def build_email(row: Notification) -> EmailMultiAlternatives:
    """The message for ``row``, ready to send; raises when a template is missing or broken."""
    context = email_context(row)
    name = f"{TEMPLATE_PREFIX}{row.kind}"
    with translation.override(django_settings.LANGUAGE_CODE):
        # Subjects are one line whatever the template's line breaks.
        subject = " ".join(render_to_string(f"{name}_subject.txt", context).split())
        # Template tags leave blank lines behind: at most one between paragraphs.
        text = re.sub(r"\n\s*\n(\s*\n)+", "\n\n", render_to_string(f"{name}_message.txt", context))
        html = render_to_string(f"{name}_message.html", context)
    message = EmailMultiAlternatives(
        subject,
        text,
        to=[row.recipient],
        connection=_connection(),
        # Tells mail servers and auto-responders this is not a person writing.
        headers={"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All"},
    )
    message.attach_alternative(html, "text/html")
    return message
