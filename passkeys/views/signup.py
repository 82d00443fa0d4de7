"""Passwordless sign-up: an account made from an email address and a passkey.

Sign-up goes through allauth's own flow: its sign-up form (without the password field)
validates the address and, when the address is taken and enumeration prevention is on, answers
exactly as for a password sign-up ("verification sent", and an email to the owner). The new
account has an unusable password; email verification applies as configured.
"""

from __future__ import annotations

from allauth.account import app_settings as account_settings
from allauth.account.adapter import get_adapter
from allauth.account.forms import SignupForm
from allauth.account.internal.flows.login import record_authentication
from allauth.account.internal.flows.signup import complete_signup
from allauth.utils import get_form_class
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie

from ciam.adapter import REFUSAL_ATTR
from ciam.forms import mark_attempt_checked
from ciam.pipeline import check_attempt

from .. import ceremony, registration
from ..api import (
    credential_of,
    json_endpoint,
    json_error,
    location_response,
    missing_credential,
    refusal_response,
)
from ..models import PasskeySettings, WebAuthnUser, new_user_handle


def signup_enabled(request: HttpRequest) -> bool:
    return PasskeySettings.load().passwordless_signup and get_adapter(request).is_open_for_signup(
        request
    )


def _signup_form(email):
    form_class = get_form_class(account_settings.FORMS, "signup", SignupForm)
    return form_class(data={"email": email, "email2": email}, by_passkey=True)


def _form_error(request: HttpRequest, form) -> JsonResponse:
    refusal = getattr(request, REFUSAL_ATTR, None)
    if refusal is not None:
        # A site's form that refuses on its own: the refusal's status and Retry-After.
        return refusal_response(refusal)
    errors = {field: [str(e) for e in errs] for field, errs in form.errors.items()}
    first = next(iter(errors.values()))[0]
    return json_error("invalid_form", first, fields=errors)


def _closed() -> JsonResponse:
    return json_error("signup_closed", _("Sign-up with a passkey is not available."), status=404)


@ensure_csrf_cookie
@never_cache
def signup_page(request: HttpRequest) -> HttpResponse:
    if not signup_enabled(request):
        raise Http404
    if request.user.is_authenticated:
        return redirect("ciam:account_security")
    return render(request, "passkeys/signup.html", {})


@json_endpoint
def signup_options(request: HttpRequest) -> JsonResponse:
    """Check the email address (as the sign-up form does) and return creation options for a
    new account with a fresh random user handle. Nothing is created yet."""
    if not signup_enabled(request):
        return _closed()
    if request.user.is_authenticated:
        return json_error("already_signed_in", _("You are already signed in."))
    email = request.json.get("email")
    if not isinstance(email, str):
        email = ""
    refusal = check_attempt(request, "signup", identifier=email)
    if refusal:
        return refusal_response(refusal)
    # One passkey sign-up is one attempt, counted here: neither the sign-up form below nor
    # the one of the verify step asks the pre-authentication receivers again.
    mark_attempt_checked(request, "signup")
    form = _signup_form(email)
    if not form.is_valid():
        return _form_error(request, form)
    email = form.cleaned_data["email"]
    handle = new_user_handle()
    options = registration.creation_options(
        request,
        "signup",
        user_handle=handle,
        label=email,
        exclude=[],
        data={"email": email, "handle": handle},
    )
    return JsonResponse({"publicKey": options})


@json_endpoint
def signup(request: HttpRequest) -> JsonResponse:
    """Verify the new passkey, create the account with it, and continue as allauth does after
    a sign-up (verification email, then the next page)."""
    if not signup_enabled(request):
        return _closed()
    if request.user.is_authenticated:
        return json_error("already_signed_in", _("You are already signed in."))
    credential = credential_of(request)
    if credential is None:
        return missing_credential()
    try:
        pending, new = registration.verify_new_credential(request, "signup", credential)
    except ceremony.CeremonyError as exc:
        return json_error(exc.code, exc.message)
    # The attempt was checked when this challenge was issued (signup_options).
    mark_attempt_checked(request, "signup")
    form = _signup_form(pending.data.get("email", ""))
    if not form.is_valid():
        return _form_error(request, form)
    with transaction.atomic():
        user, response = form.try_save(request)
        if user is not None:
            WebAuthnUser.objects.create(user=user, handle=pending.data["handle"])
            try:
                registration.store_passkey(request, user, new, None)
            except ceremony.CeremonyError as exc:
                transaction.set_rollback(True)
                return json_error(exc.code, exc.message)
    if user is None:
        # The address is taken: allauth's enumeration-proof answer, nothing created.
        return location_response(request, response)
    record_authentication(request, user, method="passkey", signup=True)
    return location_response(request, complete_signup(request, user=user))
