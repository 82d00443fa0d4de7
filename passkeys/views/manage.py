"""A signed-in user's passkeys: add (after a recent authentication), rename, remove."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_POST

from ciam import signals as ciam_signals

from .. import ceremony, registration
from ..api import credential_of, json_endpoint, json_error, missing_credential
from ..models import Passkey
from ..naming import clean_name
from ..reauth import reauthentication_url, recently_authenticated

# Larger primary keys cannot exist and make some databases raise instead of finding nothing.
_MAX_PK = 2**63 - 1
SECURITY_URLNAME = "ciam:account_security"


def _own_passkey(request: HttpRequest, pk: int) -> Passkey:
    """The signed-in user's passkey ``pk``; 404 for anyone else's, as for one that never was."""
    if pk > _MAX_PK:
        raise Http404
    return get_object_or_404(Passkey, pk=pk, user=request.user)


@login_required
@ensure_csrf_cookie
@never_cache
def add(request: HttpRequest) -> HttpResponse:
    """The "Add a passkey" page; asks to confirm who you are first when the last
    authentication is older than the re-authentication timeout."""
    if not recently_authenticated(request):
        return redirect(reauthentication_url(request, reverse("passkeys:add")))
    return render(request, "passkeys/add.html", {})


def _not_ready_to_add(request: HttpRequest) -> JsonResponse | None:
    if not request.user.is_authenticated:
        return json_error("not_signed_in", _("Sign in first."), status=401)
    if not recently_authenticated(request):
        return json_error(
            "reauthentication_required",
            _("Confirm it's you before adding a passkey."),
            status=403,
            location=reauthentication_url(request, reverse("passkeys:add")),
        )
    return None


@json_endpoint
def register_options(request: HttpRequest) -> JsonResponse:
    refused = _not_ready_to_add(request)
    if refused:
        return refused
    return JsonResponse({"publicKey": registration.options_for_user(request, request.user)})


@json_endpoint
def register(request: HttpRequest) -> JsonResponse:
    """Verify the new credential and add it to the signed-in user's passkeys."""
    refused = _not_ready_to_add(request)
    if refused:
        return refused
    credential = credential_of(request)
    if credential is None:
        return missing_credential()
    user = request.user
    try:
        pending, new = registration.verify_new_credential(request, "register", credential)
        if pending.user_id != user.pk:
            raise ceremony.CeremonyError(
                "expired", _("This passkey request has expired or was already used. Try again.")
            )
        passkey = registration.store_passkey(request, user, new, request.json.get("name"))
    except ceremony.CeremonyError as exc:
        return json_error(exc.code, exc.message)
    messages.success(request, _("Passkey “%(name)s” added.") % {"name": passkey.name})
    return JsonResponse({"location": reverse(SECURITY_URLNAME)})


@login_required
@require_POST
def rename(request: HttpRequest, pk: int) -> HttpResponse:
    passkey = _own_passkey(request, pk)
    name = clean_name(request.POST.get("name"), "")
    if not name:
        messages.error(request, _("Give the passkey a name."))
        return redirect(SECURITY_URLNAME)
    passkey.name = name
    passkey.save(update_fields=["name"])
    messages.success(request, _("Passkey renamed to “%(name)s”.") % {"name": name})
    return redirect(SECURITY_URLNAME)


@login_required
@require_POST
def remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove one of the user's passkeys, after a recent authentication. The last passkey of an
    account without a password stays: it is the only way in."""
    passkey = _own_passkey(request, pk)
    user = request.user
    if not recently_authenticated(request):
        messages.info(request, _("Confirm it's you, then remove the passkey again."))
        return redirect(reauthentication_url(request, reverse(SECURITY_URLNAME)))
    others = Passkey.objects.filter(user=user).exclude(pk=passkey.pk).exists()
    if not others and not user.has_usable_password():
        messages.error(
            request,
            _(
                "This passkey is the only way to sign in to your account. Add another passkey "
                "or set a password before removing it."
            ),
        )
        return redirect(SECURITY_URLNAME)
    name = passkey.name
    passkey.delete()
    ciam_signals.mfa_device_changed.send(
        sender=type(user), request=request, user=user, kind="passkey", action="removed"
    )
    messages.success(request, _("Passkey “%(name)s” removed.") % {"name": name})
    return redirect(SECURITY_URLNAME)
