"""Check a passkey assertion (sign-in, step-up, re-confirmation) against the stored passkeys:
the pending challenge, the credential, the user handle, the signature and the sign count."""

from __future__ import annotations

import enum
import hmac
import logging
from dataclasses import dataclass

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from ciam import signals as ciam_signals
from ciam.context import AuthenticationContext
from ciam.verdicts import Verdict

from . import ceremony, challenges, signals
from .models import Passkey, WebAuthnUser

logger = logging.getLogger("ciam.passkeys")


class Outcome(enum.Enum):
    VERIFIED = "verified"
    REFUSED = "refused"
    CLONE_SUSPECTED = "clone_suspected"


@dataclass(frozen=True)
class AssertionCheck:
    """What became of one assertion. ``passkey`` is set when the credential was found (and is
    the refreshed row when VERIFIED); ``code`` and ``message`` explain a refusal."""

    outcome: Outcome
    passkey: Passkey | None = None
    code: str = ""
    message: str = ""

    @property
    def verified(self) -> bool:
        return self.outcome == Outcome.VERIFIED


def expired_message() -> str:
    return _("This passkey request has expired or was already used. Try again.")


def unknown_credential_message() -> str:
    return _(
        "This passkey is not registered for this account on this site. It may have been "
        "removed: sign in another way."
    )


def check_assertion(
    request: HttpRequest,
    ceremony_name: str,
    credential: dict,
    *,
    uv_required: bool,
    user=None,
) -> AssertionCheck:
    """Verify ``credential`` (the browser's JSON) for ``ceremony_name``; with ``user``, only
    that user's passkeys are accepted. The pending challenge is used up whatever the outcome.

    A valid signature whose sign count did not move forward (other than 0 then 0, what synced
    passkeys always report) is refused as CLONE_SUSPECTED: the passkey is flagged, a warning is
    logged, ``passkey_clone_suspected`` is sent, and for a sign-in or step-up also
    ``ciam.signals.login_denied`` (the security event log records it).
    """
    try:
        answered = ceremony.answered_challenge(credential)
        credential_id = ceremony.credential_id_of(credential)
    except ceremony.CeremonyError as exc:
        return AssertionCheck(Outcome.REFUSED, code=exc.code, message=exc.message)

    # One transaction: the challenge is used up and the passkey row locked together, and a
    # refusal returns (commits) rather than raises, so the challenge stays used up.
    with transaction.atomic():
        pending = challenges.consume(request, ceremony_name, answered)
        if pending is None or (user is not None and pending.user_id not in (None, user.pk)):
            return AssertionCheck(Outcome.REFUSED, code="expired", message=expired_message())
        # The lock serialises two sign-ins with one passkey, so each sees the count the other
        # stored. Only the passkey row is locked ("self"), not the joined user rows.
        passkeys = (
            Passkey.objects.select_for_update(of=("self",))
            .select_related("user", "user__webauthn_handle")
            .filter(credential_id=credential_id)
        )
        if user is not None:
            passkeys = passkeys.filter(user=user)
        passkey = passkeys.first()
        if passkey is None or not _handle_matches(credential, passkey):
            return AssertionCheck(
                Outcome.REFUSED, code="unknown_credential", message=unknown_credential_message()
            )
        try:
            assertion = ceremony.verify_assertion(
                credential,
                challenge=pending.challenge,
                public_key=bytes(passkey.public_key),
                uv_required=uv_required,
            )
        except ceremony.CeremonyError as exc:
            logger.info("passkey assertion refused (%s): %s", exc.code, exc.detail)
            return AssertionCheck(
                Outcome.REFUSED, passkey=passkey, code=exc.code, message=exc.message
            )
        stored, received = passkey.sign_count, assertion.sign_count
        now = timezone.now()
        cloned = bool(received or stored) and received <= stored
        if cloned:
            passkey.clone_suspected_at = now
            passkey.save(update_fields=["clone_suspected_at"])
        else:
            passkey.sign_count = received
            passkey.last_used_at = now
            passkey.backup_eligible = assertion.backup_eligible
            passkey.backed_up = assertion.backed_up
            passkey.save(
                update_fields=["sign_count", "last_used_at", "backup_eligible", "backed_up"]
            )

    if cloned:
        _report_clone(request, ceremony_name, passkey, stored, received)
        return AssertionCheck(
            Outcome.CLONE_SUSPECTED,
            passkey=passkey,
            code="clone_suspected",
            message=_(
                "This passkey can't be used: its counter went backwards, a sign that it may "
                "have been copied. Sign in another way and check your passkeys."
            ),
        )
    return AssertionCheck(Outcome.VERIFIED, passkey=passkey)


def _handle_matches(credential: dict, passkey: Passkey) -> bool:
    """A discoverable credential names its account: it must be the passkey's owner."""
    handle = ceremony.user_handle_of(credential)
    if handle is None:
        return True
    try:
        expected = passkey.user.webauthn_handle.handle
    except WebAuthnUser.DoesNotExist:
        return False
    return hmac.compare_digest(handle.encode(), expected.encode())


def _report_clone(
    request: HttpRequest, ceremony_name: str, passkey: Passkey, stored: int, received: int
) -> None:
    """Log, tell listeners (notifications alert the user and administrators), and report a
    refused sign-in as ``login_denied`` so the security event log records it like any other."""
    user = passkey.user
    logger.warning(
        "passkey %s of user %s answered sign count %s after %s: possible clone, refused",
        passkey.pk,
        user.pk,
        received,
        stored,
    )
    signals.passkey_clone_suspected.send(
        sender=type(user),
        request=request,
        user=user,
        passkey=passkey,
        stored_sign_count=stored,
        received_sign_count=received,
    )
    if ceremony_name in ("login", "step_up"):
        verdict = Verdict.deny(
            source="passkeys",
            reason="passkey sign count went backwards (possible clone)",
            signals=("passkey_clone_suspected",),
        )
        context = AuthenticationContext.from_request(request, user, "passkey")
        ciam_signals.login_denied.send(
            sender=type(user), request=request, user=user, context=context, verdict=verdict
        )
