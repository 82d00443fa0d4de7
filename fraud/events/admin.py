"""Admin of the security event log: a read-only list with filters and search."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from ciam.admin_console.settings_admin import SingletonSettingsAdmin
from ciam.user_agents import describe_user_agent

from ..admin_search import SearchByIPOrUser
from ..console.admin import SecurityCenterAdmin
from .models import EventLogSettings, SecurityEvent


@admin.register(SecurityEvent)
class SecurityEventAdmin(SearchByIPOrUser, SecurityCenterAdmin, admin.ModelAdmin):
    list_display = (
        "created_at",
        "type",
        "user",
        "ip",
        "country",
        "score",
        "verdict",
        "enforced",
        "policy",
    )
    list_filter = ("type", "verdict", "enforced", ("created_at", admin.DateFieldListFilter))
    list_select_related = ("user",)
    search_help_text = _(
        "An IP address, or a user's email or username. Failed attempts, whose account is not "
        "known, are found by the exact identifier typed."
    )
    # Counting a million rows on every page is slow; the filtered count is enough.
    show_full_result_count = False
    list_per_page = 50
    fieldsets = [
        (None, {"fields": ["created_at", "type", "user", "identifier_hash", "reason"]}),
        (_("Where from"), {"fields": ["ip", "network", "country", "device", "device_hash"]}),
        (
            _("Risk"),
            {"fields": ["score", "signal_explanations", "verdict", "policy", "enforced"]},
        ),
        (_("Details"), {"fields": ["user_agent", "data"]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields] + ["device", "signal_explanations"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("device"))
    def device(self, obj):
        return describe_user_agent(obj.user_agent)

    @admin.display(description=_("signals"))
    def signal_explanations(self, obj):
        rows = [
            (s.get("explanation", s.get("key", "")), s.get("weight", 0))
            for s in (obj.signals or [])
            if isinstance(s, dict)
        ]
        if not rows:
            return "—"
        return format_html_join("", "<div>{} (+{})</div>", rows)


@admin.register(EventLogSettings)
class EventLogSettingsAdmin(SingletonSettingsAdmin):
    fields = ("retention_days",)
