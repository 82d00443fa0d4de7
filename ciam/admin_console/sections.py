"""How the admin index groups the suite's pages: by what an administrator looks for, not by the
app that defines a model.

Each section lists models by ``"app_label.model_name"``, in the order shown, optionally with
the name shown for it. Models of apps that are not installed are skipped; models the user may
not see are left out by Django before grouping; every other model stays under its app.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Section:
    slug: str
    name: str
    # ("app_label.model_name", name shown or None for the model's plural name)
    models: tuple[tuple[str, str | None], ...]
    # (URL name, name shown, the "app_label.model_name" whose view permission it needs)
    pages: tuple[tuple[str, str, str], ...] = ()


SECTIONS = (
    Section(
        "fraud-detection",
        _("Fraud detection (Sift)"),
        (
            ("ciam_fraud.siftsettings", _("Sift settings: connection, events, policy, webhooks")),
            ("ciam_fraud.siftdecision", None),
        ),
    ),
    Section(
        "attack-protection",
        _("Attack protection"),
        (
            (
                "ciam_fraud.attackprotectionsettings",
                _("Bot detection, brute force, IP throttling, breached passwords"),
            ),
        ),
    ),
    Section(
        "login-policies",
        _("Login policies"),
        (
            ("ciam_fraud.loginpolicy", None),
            ("ciam_fraud.risksettings", _("Risk engine: signals and weights")),
            ("ciam_fraud.iprule", None),
            ("ciam.loginsettings", _("Step-up, deny page and admin sign-in")),
        ),
    ),
    Section(
        "security-events",
        _("Security events"),
        (
            ("ciam_fraud.securityevent", None),
            ("ciam_fraud.eventlogsettings", _("Event log retention")),
        ),
        pages=(
            (
                "ciam_fraud_securityevent_security_center",
                _("Security Center"),
                "ciam_fraud.securityevent",
            ),
        ),
    ),
    Section("sift-deliveries", _("Sift deliveries"), (("ciam_fraud.siftoutbox", None),)),
    Section(
        "blocks-and-throttles",
        _("Blocks and throttles"),
        (("ciam_fraud.bruteforceblock", None), ("ciam_fraud.throttlestate", None)),
    ),
    Section(
        "notifications",
        _("Notifications"),
        (
            ("ciam_notifications.notificationsettings", _("Which emails, to whom")),
            ("ciam_notifications.notification", None),
        ),
    ),
    Section(
        "passkeys-and-mfa",
        _("Passkeys and MFA devices"),
        (
            ("ciam_passkeys.passkey", None),
            ("ciam_passkeys.passkeysettings", _("Passkey settings")),
            ("otp_totp.totpdevice", None),
            ("otp_static.staticdevice", None),
        ),
    ),
)


def _label(model_entry: dict) -> str:
    opts = model_entry["model"]._meta
    return f"{opts.app_label}.{opts.model_name}"


def group_app_list(
    app_list: list[dict], site_name: str, sections=SECTIONS, app_label: str | None = None
) -> list[dict]:
    """Django's ``app_list`` (apps with their models) regrouped: the sections first, in order,
    then the other apps with what is left of them. With ``app_label`` (an app's index page),
    the sections holding a model of that app, and what is left of the app."""
    entries = {_label(m): m for app in app_list for m in app["models"]}
    grouped: list[dict] = []
    taken: set[str] = set()
    for section in sections:
        models = []
        for label, name in section.models:
            entry = entries.get(label)
            if entry is None or label in taken:
                continue
            taken.add(label)
            models.append({**entry, "name": capfirst(name) if name else entry["name"]})
        if not models:
            continue
        if app_label and not any(m["model"]._meta.app_label == app_label for m in models):
            continue
        models[1:1] = _pages(section, models, site_name)
        grouped.append(
            {
                "name": capfirst(section.name),
                "app_label": f"console-{section.slug}",
                "app_url": reverse(
                    "admin:console_section", kwargs={"slug": section.slug}, current_app=site_name
                ),
                "has_module_perms": True,
                "models": models,
            }
        )
    for app in app_list:
        rest = [m for m in app["models"] if _label(m) not in taken]
        if rest:
            grouped.append({**app, "models": rest})
    return grouped


def _pages(section: Section, models: list[dict], site_name: str) -> list[dict]:
    """Extra pages of a section (the Security Center), shown to whoever may view the model
    they belong to."""
    visible = {_label(m): m for m in models}
    pages = []
    for url_name, name, needs in section.pages:
        entry = visible.get(needs)
        if entry is None or not (entry["perms"].get("view") or entry["perms"].get("change")):
            continue
        try:
            url = reverse(f"admin:{url_name}", current_app=site_name)
        except NoReverseMatch:
            continue
        pages.append(
            {
                "model": entry["model"],
                "name": capfirst(name),
                # Only used for the row's HTML id and class.
                "object_name": url_name,
                "perms": {"view": True},
                "admin_url": url,
                "add_url": None,
                "view_only": True,
            }
        )
    return pages
