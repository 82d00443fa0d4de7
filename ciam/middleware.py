"""Middleware of the hosted pages."""

from __future__ import annotations

from .adapter import REFUSAL_ATTR
from .device import get_device_id, store_device_cookie
from .responses import apply_refusal_headers


class DeviceCookieMiddleware:
    """Gives every browser a signed, long-lived device id (``ciam.device``); a missing or
    tampered cookie is replaced."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        get_device_id(request)
        response = self.get_response(request)
        store_device_cookie(request, response)
        return response


class FormStatusMiddleware:
    """Answers a form POST that failed validation with a 4xx instead of 200.

    A refusal from the pre-authentication hook brings its own status (429 for throttling, with
    ``Retry-After``); any other invalid form answers 400. The page is the same form with the
    errors next to the fields, so nothing the user typed is lost.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_template_response(self, request, response):
        if request.method != "POST" or response.status_code != 200:
            return response
        refusal = getattr(request, REFUSAL_ATTR, None)
        if refusal is not None:
            apply_refusal_headers(response, refusal)
            return response
        form = (response.context_data or {}).get("form")
        if form is not None and getattr(form, "is_bound", False) and form.errors:
            response.status_code = 400
        return response
