"""Pages of the second factors: the step-up page of a sign-in, adding and removing an
authenticator app, backup codes.

The step-up page is only reachable while allauth holds a sign-in paused at
``ciam.stages.StepUpStage``; the other pages need a signed-in user who re-entered their
password within ``ACCOUNT_REAUTHENTICATION_TIMEOUT`` (allauth's reauthentication: a sign-in
alone does not count, and a POST made too late is replayed once the password is entered).
"""

from __future__ import annotations

from base64 import b32encode

from allauth.account.decorators import reauthentication_required
from allauth.account.internal.decorators import login_stage_required
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from .. import signals
from ..stages import StepUpStage
from ..step_up import available_step_up_methods, otp_devices
from .backup_codes import delete_backup_codes, regenerate_backup_codes, remaining_backup_codes
from .forms import StepUpForm, TotpConfirmForm
from .qr import qr_svg
from .verification import (
    CodeCheck,
    Outcome,
    check_enrolment_code,
    check_sign_in_code,
    throttled_message,
)

# Larger primary keys cannot exist and make some databases raise instead of finding nothing.
_MAX_PK = 2**63 - 1


def _in_step_up(view):
    return login_stage_required(stage=StepUpStage.key, redirect_urlname="account_login")(view)


@_in_step_up
def step_up(request: HttpRequest) -> HttpResponse:
    """Ask for a code from the authenticator app or a backup code, then resume the sign-in.

    A wrong code answers 400 and a throttled device 429 (with ``Retry-After``); both keep the
    sign-in paused. The accepted device is attached to the user, so django-otp marks the new
    session as verified (``request.user.is_verified()``).
    """
    stage = request._login_stage
    user = stage.login.user
    methods = available_step_up_methods(request, user)
    if not methods:
        # The factor went away while the sign-in was paused: start over.
        return stage.abort()
    form = StepUpForm(request.POST if request.method == "POST" else None)
    status = 200
    retry_after = None
    if form.is_bound:
        status = 400
        if form.is_valid():
            check = check_sign_in_code(user, form.cleaned_data["token"])
            if check.verified:
                user.otp_device = check.device
                _send_step_up_completed(request, user, check, succeeded=True)
                return stage.exit()
            if check.outcome == Outcome.THROTTLED:
                # Nothing was checked: no failure to report.
                status, retry_after = 429, check.retry_after
                form.add_error("token", throttled_message(check.retry_after))
            else:
                _send_step_up_completed(request, user, check, succeeded=False)
                form.add_error("token", _("That code is not valid. Check it and try again."))
    context = {
        "form": form,
        "devices": otp_devices(user),
        "methods": methods,
    }
    response = render(request, "ciam/step_up.html", context, status=status)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


@require_POST
@_in_step_up
def step_up_cancel(request: HttpRequest) -> HttpResponse:
    """Give up the paused sign-in: it is forgotten and the login page is shown."""
    return request._login_stage.abort()


def _send_step_up_completed(request, user, check: CodeCheck, succeeded: bool) -> None:
    signals.step_up_completed.send(
        sender=type(user), request=request, user=user, method=check.method, succeeded=succeeded
    )


def _send_device_changed(request, kind: str, action: str) -> None:
    user = request.user
    signals.mfa_device_changed.send(
        sender=type(user), request=request, user=user, kind=kind, action=action
    )


@login_required
@reauthentication_required
@never_cache
def totp_setup(request: HttpRequest) -> HttpResponse:
    """Add an authenticator app: a QR code and the key to type, then its first code.

    The same unconfirmed device is shown until it is confirmed, so reloading the page does not
    invalidate a key already scanned. On success the first set of backup codes is shown once,
    when the user has none.
    """
    user = request.user
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=_("Authenticator app"), confirmed=False)
    form = TotpConfirmForm(request.POST if request.method == "POST" else None)
    status = 200
    if form.is_bound:
        status = 400
        if form.is_valid():
            check = check_enrolment_code(device, form.cleaned_data["token"])
            if check.verified:
                return _confirm_totp(request, check.device)
            if check.outcome == Outcome.THROTTLED:
                status = 429
                form.add_error("token", throttled_message(check.retry_after))
            else:
                form.add_error(
                    "token",
                    _(
                        "That code is not valid. Check that the app shows this account and "
                        "that your phone's clock is right, then try the newest code."
                    ),
                )
    context = {
        "form": form,
        "qr_svg": qr_svg(device.config_url),
        "secret": b32encode(device.bin_key).decode(),
        "config_url": device.config_url,
    }
    return render(request, "ciam/totp_setup.html", context, status=status)


def _confirm_totp(request: HttpRequest, device: TOTPDevice) -> HttpResponse:
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    _send_device_changed(request, "totp", "added")
    messages.success(request, _("Authenticator app added."))
    if remaining_backup_codes(request.user):
        return redirect("ciam:account_security")
    codes = regenerate_backup_codes(request.user)
    _send_device_changed(request, "backup_codes", "added")
    return _backup_codes_page(request, codes)


@login_required
@require_POST
@reauthentication_required
def totp_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove one of the user's authenticator apps (404 for anyone else's). Removing the last
    one removes the backup codes too: they only back up an app."""
    if pk > _MAX_PK:
        raise Http404
    user = request.user
    device = get_object_or_404(TOTPDevice, pk=pk, user=user)
    device.delete()
    _send_device_changed(request, "totp", "removed")
    last_app = not TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    if last_app and delete_backup_codes(user):
        _send_device_changed(request, "backup_codes", "removed")
        messages.success(
            request, _("Authenticator app removed. Your backup codes were removed with it.")
        )
    else:
        messages.success(request, _("Authenticator app removed."))
    return redirect("ciam:account_security")


@login_required
@reauthentication_required(allow_get=True)
@never_cache
def backup_codes(request: HttpRequest) -> HttpResponse:
    """GET: how many backup codes are left. POST: a new set, shown once, replacing the old."""
    if request.method != "POST":
        return _backup_codes_page(request, [])
    if not TOTPDevice.objects.filter(user=request.user, confirmed=True).exists():
        messages.error(request, _("Add an authenticator app first: backup codes back it up."))
        return _backup_codes_page(request, [], status=400)
    codes = regenerate_backup_codes(request.user)
    _send_device_changed(request, "backup_codes", "added")
    messages.success(request, _("New backup codes made. The old ones no longer work."))
    return _backup_codes_page(request, codes)


def _backup_codes_page(request: HttpRequest, codes: list[str], status: int = 200) -> HttpResponse:
    context = {"codes": codes, "remaining": remaining_backup_codes(request.user)}
    response = render(request, "ciam/backup_codes.html", context, status=status)
    # The codes are secrets: no cache may keep them, not even the browser's back button.
    response["Cache-Control"] = "no-store, private"
    return response
