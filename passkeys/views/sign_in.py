"""Signing in with a passkey, stepping up with one, and re-confirming with one.

A passkey sign-in goes through allauth's login flow like a password sign-in: the
authentication is recorded as method ``"passkey"`` and ``perform_login`` runs the login
stages (the suite's risk check and step-up) and ``user_logged_in``.
"""

from __future__ import annotations

from allauth.account.adapter import get_adapter
from allauth.account.internal.flows.login import perform_login, record_authentication
from allauth.account.models import Login
from allauth.account.stages import LoginStageController
from django.conf import settings as django_settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie

from ciam import signals as ciam_signals
from ciam.pipeline import check_attempt
from ciam.stages import StepUpStage

from .. import ceremony, challenges
from ..api import (
    OUTCOME_SESSION_KEY,
    credential_of,
    json_endpoint,
    json_error,
    location_response,
    missing_credential,
    refusal_response,
)
from ..assertions import Outcome, check_assertion
from ..limits import options_refusal
from ..models import Passkey, PasskeySettings


def _safe_next(request: HttpRequest, url) -> str | None:
    if isinstance(url, str) and url and get_adapter(request).is_safe_url(url):
        return url
    return None


def _request_options(request: HttpRequest, ceremony_name: str, uv_required: bool, user=None):
    allow = []
    if user is not None:
        allow = [(p.credential_id, p.transports) for p in Passkey.objects.filter(user=user)]
    challenge = challenges.issue(request, ceremony_name, user=user)
    options = ceremony.authentication_options(
        challenge=challenge,
        timeout_seconds=PasskeySettings.load().challenge_timeout,
        uv_required=uv_required,
        allow=allow,
    )
    return JsonResponse({"publicKey": options})


def _refused(check) -> JsonResponse:
    status = 403 if check.outcome == Outcome.CLONE_SUSPECTED else 400
    return json_error(check.code, check.message, status=status)


def _already_signed_in(request: HttpRequest) -> JsonResponse:
    return json_error(
        "already_signed_in",
        _("You are already signed in."),
        location=resolve_url(django_settings.LOGIN_REDIRECT_URL),
    )


# --- Sign-in ---------------------------------------------------------------------------------


@json_endpoint
def login_options(request: HttpRequest) -> JsonResponse:
    """Options for a usernameless sign-in (button or autofill): any passkey of this site.
    User verification is always required: the passkey is the only factor.

    Asked at every login page load, by visitors with no session yet: capped per client
    address (429 with ``Retry-After`` over ``CIAM_WEBAUTHN_OPTIONS_PER_MINUTE``) before the
    session and the challenge are written. The sign-in itself goes through the login
    pipeline's pre-authentication check when the answer comes back (``login``).
    """
    if request.user.is_authenticated:
        return _already_signed_in(request)
    refusal = options_refusal(request)
    if refusal:
        return refusal_response(refusal)
    return _request_options(request, "login", uv_required=True)


@json_endpoint
def login(request: HttpRequest) -> JsonResponse:
    """Verify a sign-in assertion, then sign in through allauth's pipeline.

    Refused like the login form first (``authentication_attempted``: throttling, blocks), then
    400 for a bad answer, 403 for a suspected clone. On success ``{"location": ...}``: the
    next page, the step-up page, or the deny page (served with its status).
    """
    if request.user.is_authenticated:
        return _already_signed_in(request)
    refusal = check_attempt(request, "login", identifier="")
    if refusal:
        return refusal_response(refusal)
    credential = credential_of(request)
    if credential is None:
        return missing_credential()
    check = check_assertion(request, "login", credential, uv_required=True)
    if not check.verified:
        return _refused(check)
    user = check.passkey.user
    redirect_url = _safe_next(request, request.json.get("next"))
    record_authentication(request, user, method="passkey", passkey_id=check.passkey.pk)
    response = perform_login(request, Login(user=user, redirect_url=redirect_url))
    return location_response(request, response)


@never_cache
def outcome(request: HttpRequest) -> HttpResponse:
    """The page a passkey ceremony ended on when it was not a redirect (the deny page), once,
    with its own status."""
    kept = request.session.pop(OUTCOME_SESSION_KEY, None)
    if not isinstance(kept, dict):
        return redirect("account_login")
    return HttpResponse(
        kept.get("content", ""), status=kept.get("status", 200), content_type=kept["content_type"]
    )


# --- Step-up during a sign-in ----------------------------------------------------------------


def _paused_sign_in(request: HttpRequest):
    """The sign-in paused at the suite's step-up stage, or None."""
    if request.user.is_authenticated:
        return None
    return LoginStageController.enter(request, StepUpStage.key)


def _no_paused_sign_in() -> JsonResponse:
    return json_error(
        "no_sign_in",
        _("No sign-in is waiting for verification. Sign in again."),
        location=reverse("account_login"),
    )


@json_endpoint
def step_up_options(request: HttpRequest) -> JsonResponse:
    stage = _paused_sign_in(request)
    if stage is None:
        return _no_paused_sign_in()
    user = stage.login.user
    if not Passkey.objects.filter(user=user).exists():
        return json_error("no_passkey", _("This account has no passkey."))
    return _request_options(
        request, "step_up", uv_required=PasskeySettings.load().uv_required, user=user
    )


@json_endpoint
def step_up(request: HttpRequest) -> JsonResponse:
    """Verify a passkey of the signing-in user as the second factor, then resume the sign-in."""
    stage = _paused_sign_in(request)
    if stage is None:
        return _no_paused_sign_in()
    refusal = check_attempt(request, "login", identifier="")
    if refusal:
        return refusal_response(refusal)
    credential = credential_of(request)
    if credential is None:
        return missing_credential()
    user = stage.login.user
    check = check_assertion(
        request, "step_up", credential, uv_required=PasskeySettings.load().uv_required, user=user
    )
    if check.passkey is not None:
        ciam_signals.step_up_completed.send(
            sender=type(user),
            request=request,
            user=user,
            method="passkey",
            succeeded=check.verified,
        )
    if not check.verified:
        return _refused(check)
    # Recorded in the session like a passkey sign-in, so the session counts as having passed a
    # second factor (the admin's second-factor rule reads these records).
    record_authentication(request, user, method="passkey", passkey_id=check.passkey.pk)
    return location_response(request, stage.exit())


# --- Re-confirming before a sensitive change -------------------------------------------------


@login_required
@ensure_csrf_cookie
@never_cache
def reauthenticate_page(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request, request.GET.get(REDIRECT_FIELD_NAME)) or ""
    context = {
        "next_url": next_url,
        "has_passkey": Passkey.objects.filter(user=request.user).exists(),
        "has_password": request.user.has_usable_password(),
    }
    return render(request, "passkeys/reauthenticate.html", context)


@json_endpoint
def reauthenticate_options(request: HttpRequest) -> JsonResponse:
    if not request.user.is_authenticated:
        return json_error("not_signed_in", _("Sign in first."), status=401)
    return _request_options(
        request,
        "reauthenticate",
        uv_required=PasskeySettings.load().uv_required,
        user=request.user,
    )


@json_endpoint
def reauthenticate(request: HttpRequest) -> JsonResponse:
    if not request.user.is_authenticated:
        return json_error("not_signed_in", _("Sign in first."), status=401)
    credential = credential_of(request)
    if credential is None:
        return missing_credential()
    user = request.user
    check = check_assertion(
        request,
        "reauthenticate",
        credential,
        uv_required=PasskeySettings.load().uv_required,
        user=user,
    )
    if not check.verified:
        return _refused(check)
    record_authentication(
        request, user, method="passkey", passkey_id=check.passkey.pk, reauthenticated=True
    )
    next_url = _safe_next(request, request.json.get("next"))
    return JsonResponse({"location": next_url or resolve_url("ciam:account_security")})
