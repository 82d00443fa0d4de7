"""The admin's second-factor rule and the page where staff meet it.

When "Staff must verify a second factor to use the admin" is on, a staff session must have
passed a second factor (``ciam.step_up.session_passed_second_factor``: django-otp's
``is_verified()``, or a passkey sign-in or step-up). A step-up during the sign-in does it, and
so does ``/admin/verify/``, which asks for a code from the authenticator app or a backup code
(django-otp's throttling applies: wrong codes answer 400, a throttled device 429). The page
works with the rule off too, so an administrator can verify before turning it on.
"""

from __future__ import annotations

import django_otp
from django.conf import settings as django_settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect

from .. import signals
from ..mfa.forms import StepUpForm
from ..mfa.verification import Outcome, check_sign_in_code, throttled_message
from ..step_up import otp_devices, session_passed_second_factor


def second_factor_required() -> bool:
    """Whether staff must pass a second factor in their session to use the admin."""
    from ..models import LoginSettings

    return LoginSettings.load().admin_requires_second_factor


def is_verified(request) -> bool:
    # Without django-otp's middleware nobody is verified by a code: the rule fails closed.
    return session_passed_second_factor(request)


def second_factor_missing(request) -> bool:
    return second_factor_required() and not is_verified(request)


def verify_view(site):
    """The view of ``/admin/verify/`` for ``site``."""

    # Like the admin's own views: CSRF protected even where the middleware is not installed.
    @never_cache
    @csrf_protect
    def verify(request):
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(
                request.get_full_path(), resolve_url(django_settings.LOGIN_URL)
            )
        if not (user.is_active and user.is_staff):
            raise PermissionDenied
        next_url = site.safe_next(request)
        # Also open with the rule off: an administrator verifies before turning it on.
        if is_verified(request):
            return HttpResponseRedirect(next_url)
        devices = otp_devices(user)
        form = StepUpForm(request.POST if request.method == "POST" and devices else None)
        status, retry_after = 200, None
        if form.is_bound:
            status = 400
            if form.is_valid():
                check = check_sign_in_code(user, form.cleaned_data["token"])
                if check.verified:
                    django_otp.login(request, check.device)
                    _report(request, user, check.method, succeeded=True)
                    return HttpResponseRedirect(next_url)
                if check.outcome == Outcome.THROTTLED:
                    status, retry_after = 429, check.retry_after
                    form.add_error("token", throttled_message(check.retry_after))
                else:
                    _report(request, user, check.method, succeeded=False)
                    form.add_error("token", _("That code is not valid. Check it and try again."))
        context = {
            "form": form,
            "devices": devices,
            "next": next_url,
            "setup_url": resolve_url("ciam:totp_setup"),
        }
        response = render(request, "ciam/admin_verify.html", context, status=status)
        if retry_after:
            response["Retry-After"] = str(retry_after)
        return response

    return verify


def _report(request, user, method: str, succeeded: bool) -> None:
    # The security event log records it like a step-up.
    signals.step_up_completed.send(
        sender=type(user), request=request, user=user, method=method, succeeded=succeeded
    )
