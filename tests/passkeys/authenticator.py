"""A software WebAuthn authenticator for the tests: real ES256 keys (cryptography), real CBOR
(cbor2), real signatures, "none" attestation, and the authenticator-data flags the tests turn
on and off (UP, UV, BE, BS). It answers the JSON options the site sends with the JSON a browser
would post back (base64url for bytes), as ``passkeys.js`` builds it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
from dataclasses import dataclass, field

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

ORIGIN = "http://localhost:8000"
RP_ID = "localhost"

UP, UV, BE, BS, AT = 0x01, 0x04, 0x08, 0x10, 0x40


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64u(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class CredentialExcluded(Exception):
    """What a browser reports as InvalidStateError: this authenticator already holds one of
    the excluded credentials."""


@dataclass
class StoredCredential:
    credential_id: bytes
    private_key: ec.EllipticCurvePrivateKey
    user_handle: bytes
    rp_id: str
    sign_count: int = 0

    def cose_public_key(self) -> bytes:
        numbers = self.private_key.public_key().public_numbers()
        return cbor2.dumps(
            {
                1: 2,  # kty: EC2
                3: -7,  # alg: ES256
                -1: 1,  # crv: P-256
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )


@dataclass
class SoftAuthenticator:
    """``counter=False`` makes it report sign count 0 forever, as synced passkeys do;
    ``backup_eligible``/``backed_up`` set BE/BS; ``aaguid`` names the provider."""

    aaguid: bytes = bytes(16)
    user_verified: bool = True
    backup_eligible: bool = False
    backed_up: bool = False
    counter: bool = True
    transports: tuple | object = ("internal",)
    credentials: list[StoredCredential] = field(default_factory=list)

    # --- navigator.credentials.create() -----------------------------------------------------

    def create(
        self,
        options: dict,
        *,
        origin: str = ORIGIN,
        rp_id: str | None = None,
        credential_id: bytes | None = None,
        **flags,
    ) -> dict:
        """A new credential; ``credential_id`` forces its id (a client replaying an old one)."""
        public_key = options.get("publicKey", options)
        rp_id = rp_id or public_key["rp"]["id"]
        for excluded in public_key.get("excludeCredentials") or []:
            if any(c.credential_id == unb64u(excluded["id"]) for c in self.credentials):
                raise CredentialExcluded(excluded["id"])
        stored = StoredCredential(
            credential_id=credential_id or os.urandom(32),
            private_key=ec.generate_private_key(ec.SECP256R1()),
            user_handle=unb64u(public_key["user"]["id"]),
            rp_id=rp_id,
        )
        self.credentials.append(stored)
        attested = (
            self.aaguid
            + struct.pack(">H", len(stored.credential_id))
            + stored.credential_id
            + stored.cose_public_key()
        )
        auth_data = self._auth_data(rp_id, stored.sign_count, AT, **flags) + attested
        attestation_object = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client_data = self._client_data("webauthn.create", public_key["challenge"], origin)
        return {
            "id": b64u(stored.credential_id),
            "rawId": b64u(stored.credential_id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": b64u(client_data),
                "attestationObject": b64u(attestation_object),
                # A tuple goes as a JSON list; anything else as is (a misbehaving client).
                "transports": (
                    list(self.transports) if isinstance(self.transports, tuple) else self.transports
                ),
            },
        }

    # --- navigator.credentials.get() --------------------------------------------------------

    def get(
        self,
        options: dict,
        *,
        origin: str = ORIGIN,
        rp_id: str | None = None,
        credential: StoredCredential | None = None,
        sign_count: int | None = None,
        user_handle: bytes | None = None,
        **flags,
    ) -> dict:
        """An assertion. ``sign_count`` forces the counter (a clone replaying an old one);
        ``user_handle`` forces the handle sent back."""
        public_key = options.get("publicKey", options)
        rp_id = rp_id or public_key.get("rpId") or RP_ID
        stored = credential or self._pick(public_key.get("allowCredentials") or [])
        if sign_count is not None:
            stored.sign_count = sign_count
        elif self.counter:
            stored.sign_count += 1
        auth_data = self._auth_data(rp_id, stored.sign_count, 0, **flags)
        client_data = self._client_data("webauthn.get", public_key["challenge"], origin)
        signed = auth_data + hashlib.sha256(client_data).digest()
        signature = stored.private_key.sign(signed, ec.ECDSA(hashes.SHA256()))
        return {
            "id": b64u(stored.credential_id),
            "rawId": b64u(stored.credential_id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": b64u(client_data),
                "authenticatorData": b64u(auth_data),
                "signature": b64u(signature),
                "userHandle": b64u(user_handle if user_handle is not None else stored.user_handle),
            },
        }

    # --- parts ------------------------------------------------------------------------------

    def _pick(self, allowed: list[dict]) -> StoredCredential:
        if not allowed:
            return self.credentials[-1]
        ids = {unb64u(a["id"]) for a in allowed}
        return next(c for c in self.credentials if c.credential_id in ids)

    def _auth_data(
        self,
        rp_id: str,
        sign_count: int,
        extra_flags: int,
        *,
        user_present: bool = True,
        user_verified: bool | None = None,
        backup_eligible: bool | None = None,
        backed_up: bool | None = None,
    ) -> bytes:
        uv = self.user_verified if user_verified is None else user_verified
        be = self.backup_eligible if backup_eligible is None else backup_eligible
        bs = self.backed_up if backed_up is None else backed_up
        flags = extra_flags
        flags |= UP if user_present else 0
        flags |= UV if uv else 0
        flags |= BE if be else 0
        flags |= BS if bs else 0
        rp_id_hash = hashlib.sha256(rp_id.encode()).digest()
        return rp_id_hash + bytes([flags]) + struct.pack(">I", sign_count)

    @staticmethod
    def _client_data(kind: str, challenge: str, origin: str) -> bytes:
        return json.dumps(
            {"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": False}
        ).encode()
