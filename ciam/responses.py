"""Pages the pipeline answers with instead of the page asked for."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from .models import LoginSettings
from .verdicts import DEFAULT_DENY_MESSAGE, DEFAULT_DENY_TITLE, Refusal, Verdict


def deny_response(request: HttpRequest, verdict: Verdict) -> HttpResponse:
    """The DENY page: the verdict's own status and texts, else the administrator's."""
    login_settings = LoginSettings.load()
    title = verdict.title or login_settings.deny_title or DEFAULT_DENY_TITLE
    message = verdict.message or login_settings.deny_message or DEFAULT_DENY_MESSAGE
    status = verdict.status if verdict.status != 403 else login_settings.deny_status
    context = {
        "title": title,
        "message": message,
        # A next step the verdict offers (e.g. "Reset your password"); a site-relative URL.
        "action_url": verdict.data.get("action_url", ""),
        "action_label": verdict.data.get("action_label", ""),
    }
    response = TemplateResponse(request, "ciam/deny.html", context, status=status)
    return response.render()


def refusal_response(request: HttpRequest, refusal: Refusal) -> HttpResponse:
    """A standalone refusal page, for flows that have no form to show the message in."""
    response = TemplateResponse(
        request,
        "ciam/refused.html",
        {"message": refusal.message, "retry_after": refusal.retry_after},
        status=refusal.status,
    )
    apply_refusal_headers(response, refusal)
    return response.render()


def apply_refusal_headers(response: HttpResponse, refusal: Refusal) -> None:
    response.status_code = refusal.status
    if refusal.retry_after:
        response["Retry-After"] = str(int(refusal.retry_after))
