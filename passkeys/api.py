"""The JSON protocol of the passkey endpoints.

Every endpoint takes a POST with a JSON object body and Django's CSRF token in the
``X-CSRFToken`` header, and answers JSON: ``{"error": "...", "code": "..."}`` with a 4xx for
anything it refuses (405 other methods, 403 CSRF, 413 oversized, 400 malformed or nested too
deeply to parse), never a 500.
A successful ceremony answers ``{"location": url}``: the page the browser goes to next.
"""

from __future__ import annotations

import json
from functools import wraps

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from ciam.responses import apply_refusal_headers
from ciam.verdicts import Refusal

from .conf import settings

OUTCOME_SESSION_KEY = "ciam_passkeys.outcome"


def json_error(code: str, message: str, status: int = 400, **extra) -> JsonResponse:
    return JsonResponse({"error": str(message), "code": code, **extra}, status=status)


def refusal_response(refusal: Refusal) -> JsonResponse:
    """A pre-authentication refusal (throttling, block) with its status and ``Retry-After``."""
    response = json_error(refusal.code, refusal.message, status=refusal.status)
    apply_refusal_headers(response, refusal)
    return response


def _csrf_failure(request: HttpRequest) -> HttpResponse | None:
    # What the CSRF middleware would do, answered in JSON instead of its HTML page.
    return CsrfViewMiddleware(lambda req: HttpResponse()).process_view(request, None, (), {})


def json_endpoint(view):
    """POST only, CSRF checked, body capped and parsed: the view gets ``request.json`` (a dict)."""

    @csrf_exempt  # checked below, so the failure is answered in JSON
    @never_cache
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if request.method != "POST":
            response = json_error("method_not_allowed", _("Use POST for this address."), status=405)
            response["Allow"] = "POST"
            return response
        if _csrf_failure(request) is not None:
            return json_error(
                "csrf",
                _(
                    "This page has expired or was opened from another site. Reload it and "
                    "try again."
                ),
                status=403,
            )
        limit = settings.WEBAUTHN_MAX_BODY
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > limit or len(request.body) > limit:
            return json_error("too_large", _("The request is too large."), status=413)
        try:
            payload = json.loads(request.body or b"null")
        except (ValueError, UnicodeDecodeError, RecursionError):
            # RecursionError: nesting deep enough to exhaust the parser fits under the cap.
            payload = None
        if not isinstance(payload, dict):
            return json_error("malformed", _("The request is not a JSON object."))
        request.json = payload
        return view(request, *args, **kwargs)

    return wrapper


def credential_of(request: HttpRequest) -> dict | None:
    credential = request.json.get("credential")
    return credential if isinstance(credential, dict) else None


def missing_credential() -> JsonResponse:
    return json_error("malformed", _("The request has no passkey response."))


def location_response(request: HttpRequest, response: HttpResponse) -> JsonResponse:
    """Turn what allauth answered (a redirect, the deny page, a step-up redirect) into
    ``{"location": url}``. A page that is not a redirect is kept in the session and served once
    at ``passkeys:outcome`` with its own status, so the browser lands on it as it would after a
    form post (a DENY page keeps its 403)."""
    url = response.get("Location") if 300 <= response.status_code < 400 else None
    if url:
        return JsonResponse({"location": url})
    if hasattr(response, "render") and not response.is_rendered:
        response.render()
    request.session[OUTCOME_SESSION_KEY] = {
        "status": response.status_code,
        "content": response.content.decode(response.charset or "utf-8"),
        "content_type": response.get("Content-Type", "text/html; charset=utf-8"),
    }
    return JsonResponse({"location": reverse("passkeys:outcome"), "status": response.status_code})
