"""The bot-defence fields of a hosted form: the honeypot, the signed "page shown at" token and,
when bot detection asks for one, the CAPTCHA widget.

Rendered inside the sign-in, sign-up and password reset forms by ``{% ciam_bot_defence flow %}``
(``fraud/templatetags/ciam_protection.py``), which ciam's templates include only when the fraud
app is installed. Nothing is rendered when the flow's mode is Never or the client is on the
allow list.
"""

from __future__ import annotations

import logging

from django.core.cache import cache
from django.http import HttpRequest
from django.template.loader import render_to_string

from ciam.client_ip import get_client_ip, network_of

from ..events.models import EventType
from ..events.record import record_event
from ..risk import velocity
from ..risk.models import RiskSettings
from . import bot
from .captcha import provider_for
from .counters import RoundTrip
from .gate import current_attempt, network_key
from .models import AttackProtectionSettings, CaptchaMode

logger = logging.getLogger("ciam.fraud.protection")

# A CAPTCHA shown is logged at most this often per address and flow (a page reload is not
# news, and a bot reloading must not fill the log).
SHOWN_LOG_SECONDS = 600


def _page_assessment(request: HttpRequest, flow: str, rule, risk) -> bot.BotAssessment:
    """The bot score of the page request itself (no form yet): headers, counters, deny list."""
    ip = get_client_ip(request)
    trip = RoundTrip()
    ip_slot = trip.get(velocity.ip_key(ip))
    net_slot = trip.get(network_key(network_of(ip)))
    try:
        values = trip.run()
        counts = bot.BotCounts(
            ip_failures=values[ip_slot],
            network_failures=values[net_slot],
            window_minutes=risk.failures_window_minutes,
        )
    except Exception as exc:
        logger.warning("Cache unavailable for the page's bot score: %s", exc)
        counts = bot.BotCounts(window_minutes=risk.failures_window_minutes)
    return bot.assess(request, flow, counts=counts, ip_rule=rule)


def captcha_needed(request: HttpRequest, flow: str, protection, rule, risk):
    """(needed, assessment): whether this page shows a CAPTCHA, and the score behind it."""
    mode = protection.captcha_mode(flow)
    attempt = current_attempt(request)
    if attempt is not None and attempt.flow == flow and attempt.bot is not None:
        # The form was posted and refused: show what the attempt asked for.
        return attempt.captcha_required, attempt.bot
    if mode == CaptchaMode.ALWAYS:
        return True, None
    assessment = _page_assessment(request, flow, rule, risk)
    return assessment.score > protection.bot_threshold, assessment


def render_fields(request: HttpRequest | None, flow: str) -> str:
    if request is None:
        return ""
    protection = AttackProtectionSettings.load()
    mode = protection.captcha_mode(flow)
    if mode == CaptchaMode.NEVER:
        return ""
    risk = RiskSettings.load()
    ip = get_client_ip(request)
    rule = risk.ip_rules().match(ip)
    if rule is not None and rule.action == "allow":
        return ""
    context = {
        "flow": flow,
        "honeypot_field": bot.HONEYPOT_FIELD,
        "form_token_field": bot.FORM_TOKEN_FIELD,
        "form_token": bot.issue_form_token(flow),
    }
    needed, assessment = captcha_needed(request, flow, protection, rule, risk)
    if needed:
        provider = provider_for(protection)
        context["captcha_template"] = provider.template
        context.update(provider.widget_context(request, flow))
        _log_shown(request, flow, ip, provider.key, mode, assessment)
    return render_to_string("fraud/bot_defence/fields.html", context, request=request)


def _log_shown(request, flow: str, ip: str, provider: str, mode: str, assessment) -> None:
    try:
        first = cache.add(f"ciam:captcha:shown:{flow}:{ip}", 1, SHOWN_LOG_SECONDS)
    except Exception:
        first = True
    if not first:
        return
    attempt = current_attempt(request)
    record_event(
        EventType.CAPTCHA_SHOWN,
        request=request,
        identifier=attempt.identifier if attempt else "",
        score=assessment.score if assessment else None,
        signals=assessment.as_dicts() if assessment else [],
        reason=f"{mode}: {provider}",
        data={"flow": flow, "provider": provider, "mode": mode},
    )
