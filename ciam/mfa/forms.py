"""Forms of the second-factor pages. Each normalises what people type (spaces, dashes,
capitals) and answers malformed or oversized input with a field error, never an exception."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

# Longer than any code a person types from an app (8 digits) or a backup code (16 characters),
# with room for the spaces and dashes people add.
MAX_TYPED_LENGTH = 24

_SEPARATORS = re.compile(r"[\s\-]+")
_CODE = re.compile(r"[0-9a-z]{6,16}")
_DIGITS = re.compile(r"[0-9]{6,8}")


def _token_field(label):
    return forms.CharField(
        label=label,
        max_length=MAX_TYPED_LENGTH,
        strip=True,
        error_messages={
            "required": _("Enter the code."),
            "max_length": _("That is too long to be a code. Check it and try again."),
        },
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )


class StepUpForm(forms.Form):
    """The code asked for during a sign-in: a code from the app or a backup code.

    ``cleaned_data["token"]`` is lower-case letters and digits, without separators.
    """

    token = _token_field(_("Verification code"))

    def clean_token(self) -> str:
        token = _SEPARATORS.sub("", self.cleaned_data["token"]).lower()
        if not _CODE.fullmatch(token):
            raise forms.ValidationError(
                _("Enter the 6-digit code from your app, or one of your backup codes."),
                code="malformed",
            )
        return token


class TotpConfirmForm(forms.Form):
    """The first code from a newly added authenticator app. ``cleaned_data["token"]`` is
    digits only."""

    token = _token_field(_("Code from the app"))

    def clean_token(self) -> str:
        token = _SEPARATORS.sub("", self.cleaned_data["token"])
        if not _DIGITS.fullmatch(token):
            raise forms.ValidationError(
                _("Enter the 6-digit code your authenticator app shows."), code="malformed"
            )
        return token
