"""Secrets stored at rest: Fernet-encrypted model fields, shown masked everywhere."""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings as django_settings
from django.db import models

from .conf import settings

_PREFIX = "fernet:"


@lru_cache(maxsize=4)
def _fernet(key_material: str, secret_key: str) -> MultiFernet:
    keys = []
    for material in [key_material, secret_key]:
        if not material:
            continue
        digest = hashlib.sha256(f"ciam.crypto:{material}".encode()).digest()
        keys.append(Fernet(base64.urlsafe_b64encode(digest)))
    # The first key encrypts; every key decrypts, so moving from SECRET_KEY to
    # CIAM_ENCRYPTION_KEY keeps old values readable.
    return MultiFernet(keys)


def _cipher() -> MultiFernet:
    return _fernet(settings.ENCRYPTION_KEY or "", django_settings.SECRET_KEY)


def encrypt(plaintext: str) -> str:
    return _PREFIX + _cipher().encrypt(plaintext.encode()).decode()


def decrypt(stored: str) -> str:
    """The plaintext, or "" when the value cannot be read with the configured keys."""
    if not stored:
        return ""
    if not stored.startswith(_PREFIX):
        return stored
    try:
        return _cipher().decrypt(stored[len(_PREFIX) :].encode()).decode()
    except InvalidToken:
        return ""


def mask_secret(secret: str, visible: int = 4) -> str:
    """``••••••••abcd``: only the last characters, never the length of short secrets."""
    if not secret:
        return ""
    if len(secret) <= visible * 2:
        return "•" * 8
    return "•" * 8 + secret[-visible:]


class EncryptedTextField(models.TextField):
    """A text field encrypted with Fernet in the database and plain in Python."""

    def from_db_value(self, value, expression, connection):
        if value is None:
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value:
            return value
        return encrypt(value)
