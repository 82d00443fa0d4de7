"""Adding a passkey: the creation options for an account, and storing the verified credential."""

from __future__ import annotations

import logging

from django.apps import apps
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from ciam import signals as ciam_signals

from . import ceremony, challenges
from .models import Passkey, PasskeySettings, WebAuthnUser
from .naming import clean_name, default_name

logger = logging.getLogger("ciam.passkeys")


def rp_name(request: HttpRequest) -> str:
    """The site's name, shown by the browser in its passkey prompt."""
    if apps.is_installed("django.contrib.sites"):
        from django.contrib.sites.shortcuts import get_current_site

        name = get_current_site(request).name
        if name:
            return name
    return request.get_host().split(":")[0] or "Account"


def account_label(user) -> str:
    """How the account is named in the authenticator's account picker."""
    return getattr(user, "email", "") or user.get_username()


def creation_options(
    request: HttpRequest,
    ceremony_name: str,
    *,
    user_handle: str,
    label: str,
    exclude: list[tuple[str, list[str]]],
    user=None,
    data: dict | None = None,
) -> dict:
    """Issue a challenge and return the browser's ``publicKey`` creation options."""
    config = PasskeySettings.load()
    challenge = challenges.issue(request, ceremony_name, user=user, data=data)
    return ceremony.registration_options(
        challenge=challenge,
        rp_name=rp_name(request),
        user_handle=user_handle,
        user_name=label,
        display_name=label,
        timeout_seconds=config.challenge_timeout,
        attestation=config.attestation,
        uv_required=config.uv_required,
        exclude=exclude,
    )


def options_for_user(request: HttpRequest, user) -> dict:
    """Creation options for adding a passkey to ``user``: their existing passkeys are excluded,
    so the same authenticator is not registered twice."""
    exclude = [(p.credential_id, p.transports) for p in Passkey.objects.filter(user=user)]
    return creation_options(
        request,
        "register",
        user_handle=WebAuthnUser.handle_for(user),
        label=account_label(user),
        exclude=exclude,
        user=user,
    )


def verify_new_credential(
    request: HttpRequest, ceremony_name: str, credential: dict
) -> tuple[challenges.PendingChallenge, ceremony.NewCredential]:
    """Use up the pending challenge and verify the attestation. Raises ``CeremonyError``."""
    answered = ceremony.answered_challenge(credential)
    pending = challenges.consume(request, ceremony_name, answered)
    if pending is None:
        raise ceremony.CeremonyError(
            "expired", _("This passkey request has expired or was already used. Try again.")
        )
    new = ceremony.verify_registration(
        credential, challenge=pending.challenge, uv_required=PasskeySettings.load().uv_required
    )
    return pending, new


def store_passkey(request: HttpRequest, user, new: ceremony.NewCredential, name) -> Passkey:
    """Save a verified credential for ``user``. Raises ``CeremonyError`` when the credential is
    already registered (to this account or another)."""
    user_agent = request.META.get("HTTP_USER_AGENT", "")
    try:
        with transaction.atomic():
            passkey = Passkey.objects.create(
                user=user,
                credential_id=new.credential_id,
                public_key=new.public_key,
                sign_count=new.sign_count,
                aaguid=new.aaguid,
                name=clean_name(name, default_name(new.aaguid, user_agent)),
                transports=new.transports,
                backup_eligible=new.backup_eligible,
                backed_up=new.backed_up,
            )
    except IntegrityError as exc:
        raise ceremony.CeremonyError(
            "already_registered", _("This passkey is already registered."), str(exc)
        ) from exc
    ciam_signals.mfa_device_changed.send(
        sender=type(user), request=request, user=user, kind="passkey", action="added"
    )
    logger.info("passkey %s added for user %s", passkey.pk, user.pk)
    return passkey
