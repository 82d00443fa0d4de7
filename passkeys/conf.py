"""Deployment settings of the passkeys app, read lazily from Django settings prefixed ``CIAM_``.

What an administrator tunes (sign-up on/off, challenge timeout, attestation, user verification)
lives in ``passkeys.models.PasskeySettings``.
"""

from django.conf import settings as django_settings


class PasskeysSettings:
    """Typed access to the WebAuthn deployment settings; nothing is read at import time."""

    def _get(self, name, default):
        return getattr(django_settings, f"CIAM_{name}", default)

    @property
    def WEBAUTHN_RP_ID(self) -> str:
        """The relying party id: the site's domain (``example.com``), never a URL."""
        return str(self._get("WEBAUTHN_RP_ID", "localhost"))

    @property
    def WEBAUTHN_ORIGINS(self) -> list[str]:
        """Origins (``https://login.example.com``) a ceremony may come from."""
        origins = self._get("WEBAUTHN_ORIGINS", ["http://localhost:8000"])
        if isinstance(origins, str):
            origins = [origins]
        return [str(origin).rstrip("/") for origin in origins]

    @property
    def WEBAUTHN_MAX_BODY(self) -> int:
        """Largest JSON body (bytes) a passkey endpoint reads; a real credential is ~2 kB."""
        return int(self._get("WEBAUTHN_MAX_BODY", 64 * 1024))

    @property
    def WEBAUTHN_OPTIONS_PER_MINUTE(self) -> int:
        """Passkey sign-in options one client address (an IPv6 /64) may ask for in a minute;
        every login page load asks once (autofill). 0 turns the cap off."""
        return int(self._get("WEBAUTHN_OPTIONS_PER_MINUTE", 60))


settings = PasskeysSettings()
