"""Admin of Sift: the "Fraud detection (Sift)" settings, the deliveries and the decisions.

Secrets are write-only: the form never renders them, shows the last 4 characters of the saved
value, and keeps it when the field is left blank.
"""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ciam.admin_console.settings_admin import SingletonSettingsAdmin
from ciam.crypto import mask_secret
from fraud.conf import settings as fraud_settings

from . import outbox
from .breaker import reset_breaker
from .client import INVALID_API_KEY, SiftClient
from .masking import mask_payload
from .models import SiftDecision, SiftOutbox, SiftSettings

SECRET_FIELDS = ("api_key", "account_id", "webhook_key")
TEST_CONNECTION = "_test_connection"


class SiftSettingsForm(forms.ModelForm):
    api_key = forms.CharField(required=False, max_length=500)
    account_id = forms.CharField(required=False, max_length=500)
    webhook_key = forms.CharField(required=False, max_length=500)
    clear_api_key = forms.BooleanField(required=False, label=_("Remove the saved API key"))
    clear_account_id = forms.BooleanField(required=False, label=_("Remove the saved account ID"))
    clear_webhook_key = forms.BooleanField(
        required=False, label=_("Remove the saved webhook signature key")
    )

    class Meta:
        model = SiftSettings
        # Excluded so the model never takes the (blank) form value; save() decides.
        exclude = SECRET_FIELDS  # noqa: DJ006

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in SECRET_FIELDS:
            model_field = SiftSettings._meta.get_field(name)
            saved = getattr(self.instance, name, "")
            field = self.fields[name]
            field.label = model_field.verbose_name
            # Never rendered back: the browser gets an empty password box.
            field.widget = forms.PasswordInput(
                render_value=False, attrs={"autocomplete": "new-password", "size": 50}
            )
            state = (
                gettext("Saved: %(masked)s. Leave blank to keep it.")
                % {"masked": mask_secret(saved)}
                if saved
                else gettext("Not set.")
            )
            field.help_text = f"{state} {model_field.help_text}"

    def save(self, commit=True):
        instance = super().save(commit=False)
        for name in SECRET_FIELDS:
            new_value = self.cleaned_data.get(name)
            if new_value:
                setattr(instance, name, new_value)
            elif self.cleaned_data.get(f"clear_{name}"):
                setattr(instance, name, "")
        if commit:
            instance.save()
        return instance


def test_connection(sift_settings: SiftSettings) -> tuple[int, str]:
    """A harmless call to Sift, reported in words an administrator understands."""
    if not sift_settings.api_key:
        return messages.WARNING, gettext("Save a Sift API key first, then test the connection.")
    client = SiftClient(
        sift_settings.api_key, (sift_settings.connect_timeout, sift_settings.read_timeout)
    )
    response = client.check_key()
    if response.ok:
        reset_breaker()
        return messages.SUCCESS, gettext("Connected to Sift: the API key was accepted.")
    if response.status == INVALID_API_KEY:
        return messages.ERROR, gettext(
            "Sift refused the API key (status 51: invalid API key). Copy the REST API key from "
            "the Sift console (Developers, API keys) and save it again."
        )
    if response.network_failure:
        return messages.ERROR, gettext(
            "Could not reach Sift at %(url)s: %(error)s. Check this server's outbound network "
            "access, the timeouts below and the CIAM_SIFT_API_URL setting."
        ) % {"url": fraud_settings.SIFT_API_URL, "error": response.error}
    return messages.ERROR, gettext("Sift answered with an error: %(error)s.") % {
        "error": response.error
    }


@admin.register(SiftSettings)
class SiftSettingsAdmin(SingletonSettingsAdmin):
    form = SiftSettingsForm
    change_form_template = "admin/ciam_fraud/siftsettings/change_form.html"
    fieldsets = [
        (
            _("Connection"),
            {
                "fields": [
                    "api_key",
                    "clear_api_key",
                    "account_id",
                    "clear_account_id",
                    "connect_timeout",
                    "read_timeout",
                ]
            },
        ),
        (_("What is sent"), {"fields": ["include_profile", "include_device", "log_payloads"]}),
        (
            _("Events to publish"),
            {
                "fields": [
                    "publish_registrations",
                    "publish_credential_updates",
                    "publish_profile_updates",
                    "publish_logins",
                    "publish_logouts",
                    "publish_verifications",
                ]
            },
        ),
        (
            _("Sift policy at sign-in"),
            {
                "fields": [
                    "policy",
                    "policy_monitor",
                    "deny_threshold",
                    "step_up_threshold",
                    "deny_decision_ids",
                    "step_up_decision_ids",
                    "allow_decision_ids",
                    "on_error",
                    "deny_title",
                    "deny_message",
                ]
            },
        ),
        (
            _("Decision webhooks"),
            {
                "fields": [
                    "webhook_key",
                    "clear_webhook_key",
                    "sign_out_decision_ids",
                    "lock_decision_ids",
                    "password_reset_decision_ids",
                ],
                "description": _(
                    "Point Sift's decision webhooks at %(path)s on this site, signed with the key "
                    "below."
                ),
            },
        ),
    ]

    def get_fieldsets(self, request, obj=None):
        path = reverse("ciam_fraud:sift_webhook")
        fieldsets = []
        for title, options in self.fieldsets:
            if "description" in options:
                options = {**options, "description": options["description"] % {"path": path}}
            fieldsets.append((title, options))
        return fieldsets

    def response_change(self, request, obj):
        if TEST_CONNECTION in request.POST:
            level, message = test_connection(obj)
            self.message_user(request, message, level)
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)


@admin.register(SiftOutbox)
class SiftOutboxAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "event_type",
        "status",
        "synchronous",
        "attempts",
        "created_at",
        "sent_at",
        "next_attempt_at",
        "short_error",
    ]
    list_filter = ["status", "event_type", "synchronous"]
    search_fields = ["=sift_user_id", "=sift_session_id", "last_error"]
    date_hierarchy = "created_at"
    actions = ["retry_delivery"]
    list_select_related = False
    fields = [
        "event_type",
        "status",
        "synchronous",
        "attempts",
        "created_at",
        "next_attempt_at",
        "sent_at",
        "last_error",
        "user",
        "sift_user_id",
        "sift_session_id",
        "masked_payload",
    ]
    readonly_fields = fields

    @admin.display(description=_("last error"))
    def short_error(self, obj):
        return (obj.last_error[:80] + "…") if len(obj.last_error) > 80 else obj.last_error

    @admin.display(description=_("payload (masked)"))
    def masked_payload(self, obj):
        text = json.dumps(mask_payload(obj.payload or {}), indent=2, sort_keys=True)
        return format_html("<pre>{}</pre>", text)

    @admin.action(description=_("Retry delivery"), permissions=["change"])
    def retry_delivery(self, request, queryset):
        count = outbox.retry(queryset)
        self.message_user(
            request,
            gettext("%(count)d event(s) queued for delivery again.") % {"count": count},
            messages.SUCCESS,
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # Rows are read-only; the change permission only unlocks the retry action.
        if obj is not None:
            return False
        return super().has_change_permission(request)


@admin.register(SiftDecision)
class SiftDecisionAdmin(admin.ModelAdmin):
    list_display = ["received_at", "decision_id", "entity_type", "user", "action", "note"]
    list_filter = ["action", "entity_type", "decision_id"]
    search_fields = ["decision_id", "=entity_id"]
    date_hierarchy = "received_at"
    readonly_fields = [
        "received_at",
        "decided_at",
        "decision_id",
        "entity_type",
        "entity_id",
        "user",
        "action",
        "note",
        "payload",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
