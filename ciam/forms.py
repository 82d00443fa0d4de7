"""allauth's forms with bounded fields, so an oversized input is a form error, not a DoS.

Sign-up and password reset also send the pre-authentication signal, as the login does from
the adapter, so throttling and bot detection can refuse them.
"""

from allauth.account import forms as allauth_forms
from allauth.core import context as allauth_context
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator

from .adapter import REFUSAL_ATTR
from .conf import settings
from .pipeline import check_attempt


class BoundedFieldsMixin:
    """Caps every text field that has no limit of its own at ``CIAM_MAX_FIELD_LENGTH``."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit = settings.MAX_FIELD_LENGTH
        for field in self.fields.values():
            if hasattr(field, "max_length") and not field.max_length:
                field.max_length = limit
                field.validators.append(MaxLengthValidator(limit))
                field.widget.attrs.setdefault("maxlength", str(limit))


ATTEMPT_CHECKED_ATTR = "ciam_attempt_checked"


def mark_attempt_checked(request, flow: str) -> None:
    """Say that this request's attempt of ``flow`` was already put to the pre-authentication
    receivers (by the caller, or at an earlier step of the same attempt, such as the first
    step of a passkey sign-up): forms of that flow validated for it do not ask, and count it,
    again."""
    setattr(request, ATTEMPT_CHECKED_ATTR, flow)


class PreAuthenticationMixin:
    """Sends ``authentication_attempted`` (flow ``attempt_flow``) before the form's own checks
    of the whole form, unless ``mark_attempt_checked`` says it was sent already; a refusal is
    a form error, and ``FormStatusMiddleware`` answers with the refusal's status (429 and
    ``Retry-After`` for throttling)."""

    attempt_flow = ""

    def typed_identifier(self) -> str:
        for name in ("email", "username"):
            value = self.cleaned_data.get(name) or self.data.get(self.add_prefix(name))
            if isinstance(value, str) and value:
                return value[: settings.MAX_FIELD_LENGTH]
        return ""

    def clean(self):
        request = getattr(self, "request", None) or allauth_context.request
        checked = getattr(request, ATTEMPT_CHECKED_ATTR, None) == self.attempt_flow
        if request is not None and not checked:
            refusal = check_attempt(request, self.attempt_flow, self.typed_identifier())
            if refusal:
                setattr(request, REFUSAL_ATTR, refusal)
                raise ValidationError(refusal.message, code=refusal.code)
        return super().clean()


class LoginForm(BoundedFieldsMixin, allauth_forms.LoginForm):
    pass


class SignupForm(PreAuthenticationMixin, BoundedFieldsMixin, allauth_forms.SignupForm):
    attempt_flow = "signup"


class ResetPasswordForm(
    PreAuthenticationMixin, BoundedFieldsMixin, allauth_forms.ResetPasswordForm
):
    attempt_flow = "password_reset"


class ResetPasswordKeyForm(BoundedFieldsMixin, allauth_forms.ResetPasswordKeyForm):
    pass


class ChangePasswordForm(BoundedFieldsMixin, allauth_forms.ChangePasswordForm):
    pass
