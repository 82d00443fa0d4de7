"""``{% load ciam_protection %}``: ``{% ciam_bot_defence "login" %}`` renders the bot-defence
fields of a hosted form (honeypot, form token, CAPTCHA when asked for); see
``fraud.protection.widget``."""

from __future__ import annotations

from django import template
from django.utils.safestring import mark_safe

from fraud.protection.widget import render_fields

register = template.Library()


@register.simple_tag(takes_context=True)
def ciam_bot_defence(context: template.Context, flow: str) -> str:
    # render_fields renders a template of ours with autoescaping on: its output is safe.
    return mark_safe(render_fields(context.get("request"), flow))  # noqa: S308
