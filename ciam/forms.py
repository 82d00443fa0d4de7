"""allauth's forms with bounded fields, so an oversized input is a form error, not a DoS."""

from allauth.account import forms as allauth_forms
from django.core.validators import MaxLengthValidator

from .conf import settings


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


class LoginForm(BoundedFieldsMixin, allauth_forms.LoginForm):
    pass


class SignupForm(BoundedFieldsMixin, allauth_forms.SignupForm):
    pass


class ResetPasswordForm(BoundedFieldsMixin, allauth_forms.ResetPasswordForm):
    pass


class ResetPasswordKeyForm(BoundedFieldsMixin, allauth_forms.ResetPasswordKeyForm):
    pass


class ChangePasswordForm(BoundedFieldsMixin, allauth_forms.ChangePasswordForm):
    pass
