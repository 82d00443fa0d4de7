"""Template tags of the hosted pages: ``{% load ciam_ui %}``.

- ``{% ciam_site_name %}``: the current Site's name, or "Account" when there is none.
- ``{% ciam_field field %}``: label, input, errors and help text of one bound field, wired
  together for assistive technology (``aria-describedby``, ``aria-invalid``).
- ``{% ciam_form_errors form %}``: one alert for errors that belong to no visible field, or a
  pointer to the field errors below.
- ``{% ciam_section section %}``: renders an account-security section's template with the
  section's own context.
- ``{% ciam_optional_include "app/template.html" %}``: includes a template of an optional app
  of the suite (passkeys), or nothing when that app is not installed.
- ``value|ciam_group:4``: "JBSWY3DP" -> "JBSW Y3DP" (secrets, codes).
- ``seconds|ciam_wait``: 300 -> "5 minutes", for "try again in ..." texts.
- ``datetime|ciam_ago``: "3 hours ago", one unit only.
"""

from __future__ import annotations

import copy
import math
from typing import Any

from django import template
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured, ObjectDoesNotExist
from django.db import DatabaseError
from django.forms import BoundField
from django.template import TemplateDoesNotExist
from django.utils.html import format_html, format_html_join
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

register = template.Library()

# Options of ``{% ciam_field %}`` that are not HTML attributes of the input.
FIELD_OPTIONS = frozenset({"label", "hide_label", "link", "link_text", "show_help", "input_class"})


@register.simple_tag(takes_context=True)
def ciam_site_name(context: template.Context) -> str:
    """The name shown in the header and the page title; never fails, never empty."""
    name = ""
    if apps.is_installed("django.contrib.sites"):
        from django.contrib.sites.models import Site

        try:
            # get_current() is cached by Django's SITE_CACHE: one query per process, not per page.
            name = Site.objects.get_current(context.get("request")).name
        except (ObjectDoesNotExist, ImproperlyConfigured, DatabaseError):
            name = ""
    return name or _("Account")


@register.inclusion_tag("ciam/_field.html")
def ciam_field(field: BoundField, **options: Any) -> dict[str, Any]:
    """Context for ``ciam/_field.html``.

    Options: ``label`` (replaces the field's label), ``hide_label=True`` (label kept for screen
    readers only, when a visible heading already names the field), ``link`` and ``link_text``
    (a small link right after the input, e.g. "Forgot password?"),
    ``show_help=False``, ``input_class`` (added to the input's classes). Any other keyword
    becomes an HTML attribute of the input, underscores turned into hyphens (``aria_label``
    -> ``aria-label``); ``False`` removes an attribute (``placeholder=False``).
    """
    widget = field.field.widget
    input_type = getattr(widget, "input_type", None)
    if field.is_hidden:
        kind = "hidden"
    elif field.use_fieldset:
        kind = "group"
    elif input_type in ("checkbox", "radio"):
        kind = "check"
    else:
        kind = "text"

    label = options.get("label") or field.label
    show_help = options.get("show_help", True) and bool(field.help_text)
    if field.help_text and not show_help:
        # Django points aria-describedby at the help text on its own: a copy without help text
        # keeps it from pointing at an element that is not rendered.
        field = copy.copy(field)
        field.help_text = ""
    help_id = f"{field.auto_id}_helptext"
    error_id = f"{field.auto_id}_error"
    described_by = " ".join(
        part
        for part, present in (
            (widget.attrs.get("aria-describedby", ""), True),
            (error_id, bool(field.errors)),
            (help_id, show_help),
        )
        if part and present
    )

    base_class = {"check": "ciam-check-input", "group": "ciam-choices"}.get(kind, "ciam-input")
    classes = [widget.attrs.get("class", ""), base_class, options.get("input_class", "")]
    attrs: dict[str, Any] = {}
    if kind != "hidden":
        attrs["class"] = " ".join(c for c in classes if c)
        if described_by and kind != "group":
            attrs["aria-describedby"] = described_by
        if field.errors:
            attrs["aria-invalid"] = "true"
        # A placeholder that repeats the visible label is noise for screen readers and sighted
        # users alike; allauth sets one on almost every field.
        placeholder = widget.attrs.get("placeholder")
        if placeholder and str(placeholder).strip().lower() == str(label).strip().lower():
            attrs["placeholder"] = False
    for key, value in options.items():
        if key not in FIELD_OPTIONS:
            attrs[key.replace("_", "-")] = value

    return {
        "field": field,
        "kind": kind,
        "label": label,
        "hide_label": bool(options.get("hide_label")),
        "widget": field.as_widget(attrs=attrs),
        "help_text": field.help_text if show_help else "",
        "help_id": help_id,
        "error_id": error_id,
        "described_by": described_by,
        "optional": not field.field.required and kind != "check",
        "link": options.get("link"),
        "link_text": options.get("link_text"),
    }


@register.simple_tag
def ciam_form_errors(form: Any) -> str:
    """An alert (``role="alert"``) above a form that has errors, or "" when it has none.

    Errors of no field and of hidden fields are listed; errors of visible fields are shown next
    to their field, so the alert only points at them.
    """
    if not form or not getattr(form, "errors", None):
        return ""
    messages = list(form.non_field_errors())
    for field in form.hidden_fields():
        messages.extend(field.errors)
    if not messages:
        messages = [_("Please correct the highlighted fields.")]
    if len(messages) == 1:
        body = format_html("{}", messages[0])
    else:
        items = format_html_join("", "<li>{}</li>", ((message,) for message in messages))
        body = format_html("<ul>{}</ul>", items)
    return format_html('<div class="ciam-alert ciam-alert--error" role="alert">{}</div>', body)


@register.simple_tag(takes_context=True)
def ciam_section(context: template.Context, section: Any) -> str:
    """Render ``section["template"]`` with ``section["context"]`` on top of the page's context.

    A section is a dict (or an object) with ``template`` and an optional ``context`` dict; this is
    ``{% include section.template with <each key of section.context> %}``.
    """

    def get(name: str, default: Any = None) -> Any:
        if isinstance(section, dict):
            return section.get(name, default)
        return getattr(section, name, default)

    partial = context.template.engine.get_template(get("template"))
    with context.push(**(get("context") or {})):
        return partial.render(context)


@register.simple_tag(takes_context=True)
def ciam_optional_include(context: template.Context, template_name: str) -> str:
    """``{% include template_name %}`` when some installed app provides it, else "".

    Only a missing ``template_name`` is forgiven; an error inside it still raises.
    """
    try:
        partial = context.template.engine.get_template(template_name)
    except TemplateDoesNotExist:
        return ""
    return partial.render(context)


@register.filter
def ciam_group(value: Any, size: int = 4) -> str:
    """Split ``value`` into space-separated groups of ``size`` characters."""
    text = "".join(str(value or "").split())
    size = max(int(size), 1)
    return " ".join(text[i : i + size] for i in range(0, len(text), size))


@register.filter
def ciam_wait(seconds: Any) -> str:
    """A short, rounded-up duration: "45 seconds", "5 minutes", "2 hours"; "" when unknown."""
    try:
        seconds = max(math.ceil(float(seconds)), 1)
    except (TypeError, ValueError):
        return ""
    if seconds < 60:
        return ngettext("%(count)d second", "%(count)d seconds", seconds) % {"count": seconds}
    if seconds < 3600:
        minutes = math.ceil(seconds / 60)
        return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
    hours = math.ceil(seconds / 3600)
    return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}


@register.filter
def ciam_ago(value: Any) -> str:
    """How long ago, one unit only: "3 hours ago", "just now"; "" for no date.

    Unlike ``naturaltime`` it needs no ``django.contrib.humanize`` in the site's INSTALLED_APPS.
    """
    if not value:
        return ""
    try:
        since = timesince(value, depth=1)
    except (TypeError, ValueError):
        return ""
    if since.startswith("0\xa0"):
        return _("just now")
    return _("%(time)s ago") % {"time": since}
