"""Passkeys, the random user handles they are bound to, pending challenges, and the settings
administrators tune."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ciam.singleton import SingletonModel

MIN_CHALLENGE_TIMEOUT = 30
MAX_CHALLENGE_TIMEOUT = 3600


class PasskeySettings(SingletonModel):
    """How passkeys behave on this site; one row, tuned in the admin."""

    class Attestation(models.TextChoices):
        NONE = "none", _("None: no statement about the authenticator (recommended)")
        INDIRECT = "indirect", _("Indirect: an anonymised statement if the authenticator has one")
        DIRECT = "direct", _("Direct: the authenticator's own statement")

    class UserVerification(models.TextChoices):
        REQUIRED = "required", _("Required: face, fingerprint or PIN every time")
        PREFERRED = "preferred", _("Preferred: also accept security keys without a PIN")

    passwordless_signup = models.BooleanField(
        _("passwordless sign-up"),
        default=False,
        help_text=_(
            "Let visitors create an account with an email address and a passkey, without a "
            "password. Email verification still applies. Default: off."
        ),
    )
    challenge_timeout = models.PositiveIntegerField(
        _("challenge timeout (seconds)"),
        default=300,
        help_text=_(
            "How long a passkey prompt stays valid, from 30 to 3600 seconds. "
            "Default: 300 (5 minutes)."
        ),
    )
    attestation = models.CharField(
        _("attestation"),
        max_length=10,
        choices=Attestation.choices,
        default=Attestation.NONE,
        help_text=_(
            "What the site asks to learn about the authenticator when a passkey is added. "
            "Statements are not checked against vendor certificates. Default: none."
        ),
    )
    user_verification = models.CharField(
        _("user verification"),
        max_length=10,
        choices=UserVerification.choices,
        default=UserVerification.REQUIRED,
        help_text=_(
            "Whether the authenticator must check the person (face, fingerprint, PIN). Signing "
            "in with a passkey alone always requires it; 'preferred' only relaxes adding a "
            "passkey, re-confirming and step-up. Default: required."
        ),
    )

    class Meta:
        verbose_name = _("passkey settings")
        verbose_name_plural = _("passkey settings")

    def __str__(self):
        return str(_("Passkey settings"))

    def clean(self):
        super().clean()
        if not MIN_CHALLENGE_TIMEOUT <= self.challenge_timeout <= MAX_CHALLENGE_TIMEOUT:
            raise ValidationError(
                {
                    "challenge_timeout": _("Choose between %(min)d and %(max)d seconds.")
                    % {"min": MIN_CHALLENGE_TIMEOUT, "max": MAX_CHALLENGE_TIMEOUT}
                }
            )

    def save(self, *args, **kwargs):
        # Field validation only: the unique check on the singleton's pk would turn the
        # get_or_create race of two first requests into a ValidationError.
        self.full_clean(validate_unique=False, validate_constraints=False)
        super().save(*args, **kwargs)

    @property
    def uv_required(self) -> bool:
        return self.user_verification == self.UserVerification.REQUIRED


def new_user_handle() -> str:
    """32 random bytes, base64url: what authenticators store as the account's id."""
    return secrets.token_urlsafe(32)


class WebAuthnUser(models.Model):
    """The random user handle of an account: neither its primary key nor its email, so an
    authenticator learns nothing about the account from it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webauthn_handle"
    )
    handle = models.CharField(max_length=64, unique=True, default=new_user_handle)

    class Meta:
        verbose_name = _("WebAuthn user handle")

    def __str__(self):
        return f"{self.user} · {self.handle[:8]}…"

    @classmethod
    def handle_for(cls, user) -> str:
        return cls.objects.get_or_create(user=user)[0].handle


class Passkey(models.Model):
    """One registered credential. ``credential_id`` is base64url, as browsers send it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="passkeys"
    )
    credential_id = models.CharField(max_length=1400, unique=True)
    public_key = models.BinaryField(help_text=_("COSE-encoded public key."))
    sign_count = models.PositiveBigIntegerField(default=0)
    aaguid = models.CharField(max_length=36, blank=True)
    name = models.CharField(_("name"), max_length=100)
    transports = models.JSONField(default=list, blank=True)
    backup_eligible = models.BooleanField(
        _("synced"), default=False, help_text=_("The passkey can be synced to other devices.")
    )
    backed_up = models.BooleanField(_("backed up"), default=False)
    created_at = models.DateTimeField(_("added"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    clone_suspected_at = models.DateTimeField(
        _("clone suspected"),
        null=True,
        blank=True,
        help_text=_("Last time its signature counter went backwards: a sign of a copied key."),
    )

    class Meta:
        verbose_name = _("passkey")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.name} ({self.user})"


class Challenge(models.Model):
    """A challenge handed to the browser, waiting for its answer: single use, bound to one
    browser session and one ceremony, and valid until ``expires_at``."""

    class Ceremony(models.TextChoices):
        REGISTER = "register"
        SIGNUP = "signup"
        LOGIN = "login"
        STEP_UP = "step_up"
        REAUTHENTICATE = "reauthenticate"

    digest = models.CharField(max_length=64, unique=True)
    challenge = models.BinaryField()
    session = models.CharField(max_length=64)
    ceremony = models.CharField(max_length=20, choices=Ceremony.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True
    )
    data = models.JSONField(default=dict, blank=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("pending challenge")
        indexes = [models.Index(fields=["session", "ceremony"], name="passkeys_chal_session")]

    def __str__(self):
        return f"{self.ceremony} · {self.digest[:8]}"
