"""Admin of the login pipeline's settings (one row, every change recorded)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from .admin_console.second_factor import is_verified
from .admin_console.settings_admin import SingletonSettingsAdmin
from .models import LoginSettings


class LoginSettingsForm(forms.ModelForm):
    class Meta:
        model = LoginSettings
        fields = [
            "step_up_fallback",
            "step_up_remember_hours",
            "deny_status",
            "deny_title",
            "deny_message",
            "admin_requires_second_factor",
        ]

    # Set by LoginSettingsAdmin.get_form: the administrator saving the form.
    request = None

    def clean_admin_requires_second_factor(self):
        value = self.cleaned_data["admin_requires_second_factor"]
        turning_on = value and not self.instance.admin_requires_second_factor
        if turning_on and self.request is not None and not is_verified(self.request):
            # Otherwise the administrator who saves it is shut out at the next page.
            message = _(
                "Verify a second factor in this session first, so that this change does not "
                "lock you out."
            )
            try:
                verify = reverse("admin:console_verify")
            except NoReverseMatch:  # not the console's admin site: the setting is inert
                raise forms.ValidationError(message) from None
            link = f"{verify}?{urlencode({'next': self.request.path})}"
            raise forms.ValidationError(
                format_html('{} <a href="{}">{}</a>', message, link, _("Verify now"))
            )
        return value


@admin.register(LoginSettings)
class LoginSettingsAdmin(SingletonSettingsAdmin):
    form = LoginSettingsForm
    fieldsets = [
        (_("Step-up"), {"fields": ["step_up_fallback", "step_up_remember_hours"]}),
        (_("Deny page"), {"fields": ["deny_status", "deny_title", "deny_message"]}),
        (_("The admin"), {"fields": ["admin_requires_second_factor"]}),
    ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"request": request})
