"""Admin of the notifications app: the settings page (which emails, to whom) and the delivery
log (kind, masked recipient, status, attempts, last error) with a resend action."""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from ciam.admin_console.settings_admin import SingletonSettingsAdmin

from . import delivery
from .masking import HIDDEN as _HIDDEN
from .masking import mask_addresses, mask_email
from .models import Notification, NotificationSettings
from .outbox import admin_recipients


def _mask_link(url: str) -> str:
    # Unblock links are bearer tokens: the log shows where they lead, not the token.
    head, _slash, tail = str(url).rstrip("/").rpartition("/")
    return f"{head}/{_HIDDEN}/" if head and len(tail) >= 20 else str(url)


def masked_context(context: dict) -> dict:
    """The row's details as shown in the admin: links without their tokens, device hashes
    shortened, addresses masked."""
    shown = {}
    for key, value in (context or {}).items():
        if key.endswith("_url") and value:
            value = _mask_link(value)
        elif key == "device_hash" and value:
            value = f"{str(value)[:8]}…"
        elif isinstance(value, str) and "@" in value:
            value = mask_addresses(value)
        shown[key] = value
    return shown


@admin.register(NotificationSettings)
class NotificationSettingsAdmin(SingletonSettingsAdmin):
    readonly_fields = ("current_recipients",)
    fieldsets = [
        (
            _("To users"),
            {
                "fields": [
                    "suspicious_sign_in",
                    ("on_new_device", "on_new_network", "on_new_country"),
                    "score_above",
                    "brute_force_blocked",
                    "breached_password",
                    "account_changed",
                    "passkey_clone",
                ]
            },
        ),
        (
            _("To administrators"),
            {
                "fields": [
                    "admin_ip_throttled",
                    "admin_breached_password",
                    "admin_sift_decision",
                    "admin_passkey_clone",
                    "admin_not_me",
                    "admin_frequency",
                ]
            },
        ),
        (
            _("Who receives administrator alerts"),
            {"fields": ["alert_staff", "alert_addresses", "current_recipients"]},
        ),
    ]

    @admin.display(description=_("receiving now"))
    def current_recipients(self, obj):
        addresses = admin_recipients(obj)
        if not addresses:
            return gettext("Nobody: grant “Can receive security alerts” or list an address.")
        return format_html_join(", ", "{}", ((mask_email(a),) for a in addresses))


class LinkUsedFilter(admin.SimpleListFilter):
    title = _("“This wasn't me” used")
    parameter_name = "link_used"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(link_used_at__isnull=self.value() == "no")
        return queryset


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "kind",
        "masked_recipient",
        "status",
        "attempts",
        "short_error",
        "sent_at",
        "link_used_at",
    ]
    list_filter = ["status", "kind", LinkUsedFilter]
    search_fields = ["=recipient"]
    search_help_text = _("The exact recipient address.")
    date_hierarchy = "created_at"
    actions = ["resend"]
    list_select_related = False
    show_full_result_count = False
    fields = [
        "kind",
        "status",
        "masked_recipient",
        "user",
        "attempts",
        "masked_error",
        "created_at",
        "next_attempt_at",
        "sent_at",
        "link_used_at",
        "digest",
        "idempotency_key",
        "details",
    ]
    readonly_fields = fields

    @admin.display(description=_("recipient"))
    def masked_recipient(self, obj):
        return mask_email(obj.recipient) or "—"

    @admin.display(description=_("last error"))
    def masked_error(self, obj):
        return mask_addresses(obj.last_error)

    @admin.display(description=_("last error"))
    def short_error(self, obj):
        # Stored masked since this change; masked again for rows written before it.
        error = mask_addresses(obj.last_error)
        return (error[:80] + "…") if len(error) > 80 else error

    @admin.display(description=_("details"))
    def details(self, obj):
        text = json.dumps(
            masked_context(obj.context), indent=2, sort_keys=True, default=str, ensure_ascii=False
        )
        return format_html("<pre>{}</pre>", text)

    @admin.action(description=_("Send again"), permissions=["change"])
    def resend(self, request, queryset):
        count = delivery.resend(queryset)
        self.message_user(
            request,
            ngettext(
                "%(count)d email queued to be sent again.",
                "%(count)d emails queued to be sent again.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # Rows are read-only; the change permission only unlocks the resend action.
        if obj is not None:
            return False
        return super().has_change_permission(request)
