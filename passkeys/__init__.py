"""django-ciam passkeys: WebAuthn with py_webauthn."""
