"""The WebAuthn ceremonies, on py_webauthn. The only module of the suite that imports
``webauthn``: an upgrade of the library touches this file alone.

Everything the browser sends is untrusted: every failure, whatever part of py_webauthn raised it,
comes out as a ``CeremonyError`` with a stable ``code`` and a message fit for the user.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    generate_challenge,
    options_to_json_dict,
    parse_client_data_json,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    CredentialDeviceType,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from .conf import settings

KNOWN_TRANSPORTS = frozenset(t.value for t in AuthenticatorTransport)
MAX_CREDENTIAL_ID = 1400  # base64url characters: a 1023-byte id, the largest WebAuthn allows

# Parsing helpers of py_webauthn raise these as well as WebAuthnException on garbage input
# (a bad base64url string is a binascii.Error, a ValueError).
_PARSE_ERRORS = (WebAuthnException, ValueError, TypeError, KeyError, AttributeError)


class CeremonyError(Exception):
    """A response the site refuses. ``code`` is stable (tests and logs rely on it); ``message``
    is translated, for the user; ``detail`` is py_webauthn's own text, for logs only."""

    def __init__(self, code: str, message: str, detail: str = ""):
        super().__init__(message)
        self.code = code
        self.message = message
        self.detail = detail


@dataclass(frozen=True)
class NewCredential:
    credential_id: str
    public_key: bytes
    sign_count: int
    aaguid: str
    transports: list[str]
    backup_eligible: bool
    backed_up: bool
    user_verified: bool


@dataclass(frozen=True)
class Assertion:
    credential_id: str
    sign_count: int
    backup_eligible: bool
    backed_up: bool
    user_verified: bool


def new_challenge() -> bytes:
    return generate_challenge()


def registration_options(
    *,
    challenge: bytes,
    rp_name: str,
    user_handle: str,
    user_name: str,
    display_name: str,
    timeout_seconds: int,
    attestation: str,
    uv_required: bool,
    exclude: list[tuple[str, list[str]]],
) -> dict:
    """``PublicKeyCredentialCreationOptions`` as JSON (base64url for bytes): a discoverable
    credential, ``exclude`` as ``excludeCredentials`` so one authenticator is not added twice."""
    options = generate_registration_options(
        rp_id=settings.WEBAUTHN_RP_ID,
        rp_name=rp_name,
        user_id=base64url_to_bytes(user_handle),
        user_name=user_name,
        user_display_name=display_name,
        challenge=challenge,
        timeout=timeout_seconds * 1000,
        attestation=AttestationConveyancePreference(attestation),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=_uv(uv_required),
        ),
        exclude_credentials=[_descriptor(cid, transports) for cid, transports in exclude],
    )
    return options_to_json_dict(options)


def authentication_options(
    *,
    challenge: bytes,
    timeout_seconds: int,
    uv_required: bool,
    allow: list[tuple[str, list[str]]] = (),
) -> dict:
    """``PublicKeyCredentialRequestOptions`` as JSON. An empty ``allow`` lets the user pick any
    passkey of this site (usernameless sign-in, autofill)."""
    options = generate_authentication_options(
        rp_id=settings.WEBAUTHN_RP_ID,
        challenge=challenge,
        timeout=timeout_seconds * 1000,
        allow_credentials=[_descriptor(cid, transports) for cid, transports in allow],
        user_verification=_uv(uv_required),
    )
    return options_to_json_dict(options)


def answered_challenge(credential: dict) -> bytes:
    """The challenge the browser signed, read from ``clientDataJSON``: how the pending
    challenge is found. Not a verification: ``verify_*`` checks it again."""
    try:
        client_data = credential["response"]["clientDataJSON"]
        return parse_client_data_json(base64url_to_bytes(client_data)).challenge
    except _PARSE_ERRORS as exc:
        raise _malformed(exc) from exc


def credential_id_of(credential: dict) -> str:
    """The base64url id of the credential the browser used, shape-checked."""
    cid = credential.get("id") if isinstance(credential, dict) else None
    if not isinstance(cid, str) or not cid or len(cid) > MAX_CREDENTIAL_ID:
        raise _malformed(None)
    return cid


def user_handle_of(credential: dict) -> str | None:
    """The user handle an assertion carries (discoverable credentials always send one)."""
    handle = (credential.get("response") or {}).get("userHandle")
    return handle if isinstance(handle, str) and handle else None


def verify_registration(credential: dict, *, challenge: bytes, uv_required: bool) -> NewCredential:
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=settings.WEBAUTHN_RP_ID,
            expected_origin=settings.WEBAUTHN_ORIGINS,
            require_user_verification=uv_required,
        )
    except _PARSE_ERRORS as exc:
        raise _refusal(exc) from exc
    return NewCredential(
        credential_id=bytes_to_base64url(verified.credential_id),
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        aaguid=str(verified.aaguid),
        transports=known_transports((credential.get("response") or {}).get("transports")),
        backup_eligible=verified.credential_device_type == CredentialDeviceType.MULTI_DEVICE,
        backed_up=verified.credential_backed_up,
        user_verified=verified.user_verified,
    )


def known_transports(sent) -> list[str]:
    """The transports the browser listed that WebAuthn defines, sorted, without duplicates;
    anything else it sent (objects, numbers, unknown names, not a list) is dropped."""
    if not isinstance(sent, list):
        return []
    return sorted({t for t in sent if isinstance(t, str) and t in KNOWN_TRANSPORTS})


def verify_assertion(
    credential: dict, *, challenge: bytes, public_key: bytes, uv_required: bool
) -> Assertion:
    """Check the signature, origin, RP ID, challenge and flags of one assertion.

    The sign count is *not* judged here (py_webauthn is told the stored count is 0): the caller
    compares it under a row lock, once the signature proved the key is the real one, so a
    forged response can never raise a clone alert.
    """
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=settings.WEBAUTHN_RP_ID,
            expected_origin=settings.WEBAUTHN_ORIGINS,
            credential_public_key=public_key,
            credential_current_sign_count=0,
            require_user_verification=uv_required,
        )
    except _PARSE_ERRORS as exc:
        raise _refusal(exc) from exc
    return Assertion(
        credential_id=bytes_to_base64url(verified.credential_id),
        sign_count=verified.new_sign_count,
        backup_eligible=verified.credential_device_type == CredentialDeviceType.MULTI_DEVICE,
        backed_up=verified.credential_backed_up,
        user_verified=verified.user_verified,
    )


def _uv(required: bool) -> UserVerificationRequirement:
    if required:
        return UserVerificationRequirement.REQUIRED
    return UserVerificationRequirement.PREFERRED


def _descriptor(credential_id: str, transports: list[str]) -> PublicKeyCredentialDescriptor:
    return PublicKeyCredentialDescriptor(
        id=base64url_to_bytes(credential_id),
        transports=[AuthenticatorTransport(t) for t in transports if t in KNOWN_TRANSPORTS] or None,
    )


def _malformed(exc: Exception | None) -> CeremonyError:
    return CeremonyError(
        "malformed",
        _("The passkey response is malformed. Reload the page and try again."),
        str(exc or ""),
    )


# py_webauthn's messages, matched to what the user is told. First match wins.
_REFUSALS = (
    ("origin", "wrong_origin"),
    ("rp id", "wrong_rp_id"),
    ("user verification", "user_not_verified"),
    ("not present", "user_not_present"),
    ("user presence", "user_not_present"),
    ("challenge", "wrong_challenge"),
    ("signature", "bad_signature"),
)


def _refusal(exc: Exception) -> CeremonyError:
    detail = str(exc)
    lowered = detail.lower()
    code = next((code for fragment, code in _REFUSALS if fragment in lowered), "invalid")
    if code == "invalid" and not isinstance(exc, WebAuthnException):
        return _malformed(exc)
    return CeremonyError(code, _messages()[code], detail)


def _messages() -> dict[str, str]:
    return {
        "wrong_origin": _(
            "This passkey response came from a page of another site. Open this site's own "
            "page and try again."
        ),
        "wrong_rp_id": _("This passkey was made for another site."),
        "user_not_verified": _(
            "Your device did not confirm it's you (face, fingerprint or PIN). Try again and "
            "confirm on your device."
        ),
        "user_not_present": _("Touch or confirm on your device to use the passkey."),
        "wrong_challenge": _("This passkey request has expired or was already used. Try again."),
        "bad_signature": _("The passkey's signature is not valid."),
        "invalid": _("The passkey response could not be verified. Try again."),
    }
