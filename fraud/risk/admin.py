"""Admin of the local risk engine: its settings, the login policies and the IP rules."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.cache import cache
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ciam.admin_console.settings_admin import AuditedSettingsAdmin, SingletonSettingsAdmin

from ..console.admin import PolicyWhatIfAdmin
from . import geo
from .models import IPRule, LoginPolicy, RiskSettings, Signal


@admin.register(RiskSettings)
class RiskSettingsAdmin(SingletonSettingsAdmin):
    readonly_fields = ("geoip_status", "counter_cache_status")
    fieldsets = [
        (
            _("Device and network"),
            {
                "fields": [
                    ("new_device_enabled", "new_device_weight", "new_device_days"),
                    ("new_network_enabled", "new_network_weight"),
                ]
            },
        ),
        (
            _("Location (GeoIP)"),
            {
                "fields": [
                    "geoip_status",
                    ("new_country_enabled", "new_country_weight"),
                    ("impossible_travel_enabled", "impossible_travel_weight"),
                    "impossible_travel_kmh",
                ]
            },
        ),
        (_("IP rules"), {"fields": [("untrusted_ip_enabled", "untrusted_ip_weight")]}),
        (
            _("Failed-attempt velocity"),
            {
                "fields": [
                    "counter_cache_status",
                    (
                        "account_failures_enabled",
                        "account_failures_weight",
                        "account_failures_threshold",
                    ),
                    ("ip_failures_enabled", "ip_failures_weight", "ip_failures_threshold"),
                    "failures_window_minutes",
                ]
            },
        ),
        (
            _("Reported by attack protection"),
            {
                "fields": [
                    ("breached_password_enabled", "breached_password_weight"),
                    ("bot_enabled", "bot_weight"),
                ]
            },
        ),
    ]

    @admin.display(description=_("GeoIP database"))
    def geoip_status(self, obj):
        available, detail = geo.status()
        if available:
            return gettext("In use: %s") % detail
        return gettext("Off: %s. The new-country and impossible-travel signals are off.") % detail

    @admin.display(description=_("Counter cache"))
    def counter_cache_status(self, obj):
        try:
            cache.get("ciam:risk:check")
        except Exception as exc:
            return (
                gettext("Unreachable (%s): the counters fail open, these signals are off.")
                % exc.__class__.__name__
            )
        return gettext("Reachable")


class LoginPolicyForm(forms.ModelForm):
    force_step_up_signals = forms.MultipleChoiceField(
        label=_("signals that always ask for a second factor"),
        choices=Signal.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=LoginPolicy._meta.get_field("force_step_up_signals").help_text,
    )

    class Meta:
        model = LoginPolicy
        fields = [
            "name",
            "enabled",
            "monitor",
            "step_up_above",
            "deny_above",
            "force_step_up_signals",
        ]


@admin.register(LoginPolicy)
class LoginPolicyAdmin(PolicyWhatIfAdmin, AuditedSettingsAdmin, admin.ModelAdmin):
    form = LoginPolicyForm
    list_display = ("name", "enabled", "monitor", "step_up_above", "deny_above")
    list_filter = ("enabled", "monitor")


@admin.register(IPRule)
class IPRuleAdmin(AuditedSettingsAdmin, admin.ModelAdmin):
    list_display = ("network", "action", "note", "created_at")
    list_filter = ("action",)
    search_fields = ("network", "note")
    fields = ("network", "action", "note")
