"""Admin of attack protection: the settings page, the brute-force blocks (with an unblock
action) and the throttled addresses (live state from the cache, with a clear action)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from ciam.admin_console.settings_admin import SingletonSettingsAdmin
from ciam.crypto import mask_secret

from ..admin_filters import FilterErrorsAnswer400
from ..admin_search import SearchByIPOrUser
from ..events.models import EventType
from ..events.record import record_event
from ..risk.models import IPRule
from . import brute_force, decisions, throttle
from .counters import counted_address
from .models import AttackProtectionSettings, BruteForceBlock, ThrottleState


class AttackProtectionSettingsForm(forms.ModelForm):
    """The CAPTCHA secret is write-only: never rendered, shown masked, kept when left blank."""

    captcha_secret = forms.CharField(required=False, max_length=500)
    clear_captcha_secret = forms.BooleanField(
        required=False, label=_("Remove the saved secret key")
    )

    class Meta:
        model = AttackProtectionSettings
        exclude = ("captcha_secret",)  # noqa: DJ006 - set by clean() below, never rendered

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        model_field = AttackProtectionSettings._meta.get_field("captcha_secret")
        field = self.fields["captcha_secret"]
        field.label = model_field.verbose_name
        field.widget = forms.PasswordInput(
            render_value=False, attrs={"autocomplete": "new-password", "size": 50}
        )
        saved = self.instance.captcha_secret
        state = (
            gettext("Saved: %(masked)s. Leave blank to keep it.") % {"masked": mask_secret(saved)}
            if saved
            else gettext("Not set.")
        )
        field.help_text = f"{state} {model_field.help_text}"

    def clean(self):
        data = super().clean()
        # Before the model's own clean() runs (it checks that a provider has its secret).
        if data.get("captcha_secret"):
            self.instance.captcha_secret = data["captcha_secret"]
        elif data.get("clear_captcha_secret"):
            self.instance.captcha_secret = ""
        return data


@admin.register(AttackProtectionSettings)
class AttackProtectionSettingsAdmin(SingletonSettingsAdmin):
    form = AttackProtectionSettingsForm
    readonly_fields = ("allow_list",)
    fieldsets = [
        (
            _("Bot detection"),
            {
                "fields": [
                    "bot_detection_enabled",
                    ("captcha_login", "captcha_signup", "captcha_password_reset"),
                    "bot_risk_level",
                    "min_form_seconds",
                ]
            },
        ),
        (
            _("CAPTCHA"),
            {
                "fields": [
                    "captcha_provider",
                    "captcha_site_key",
                    "captcha_secret",
                    "clear_captcha_secret",
                    "recaptcha_min_score",
                    "pow_difficulty",
                    "captcha_outage",
                ]
            },
        ),
        (
            _("Brute-force protection"),
            {
                "fields": [
                    "brute_force_enabled",
                    "brute_force_threshold",
                    "brute_force_block",
                    "brute_force_lock_all_ips",
                    "brute_force_notify_user",
                ]
            },
        ),
        (
            _("Suspicious IP throttling"),
            {
                "fields": [
                    "ip_throttling_enabled",
                    ("login_failures_per_ip", "login_refill_minutes"),
                    "signups_per_ip_per_minute",
                    "ip_throttling_notify_admins",
                ]
            },
        ),
        (
            _("Breached password detection"),
            {
                "fields": [
                    "breached_enabled",
                    "breached_block_login",
                    "breached_notify_user",
                    ("breached_notify_admins", "breached_admin_frequency"),
                    "breached_test_prefix",
                ]
            },
        ),
        (_("Allow list"), {"fields": ["allow_list"]}),
    ]

    @admin.display(description=_("trusted addresses"))
    def allow_list(self, obj):
        rules = IPRule.objects.filter(action=IPRule.Action.ALLOW).order_by("network")
        link = reverse("admin:ciam_fraud_iprule_changelist")
        rows = format_html_join(", ", "{}", ((r.network,) for r in rules[:20]))
        return format_html(
            '{} <a href="{}">{}</a>',
            rows or gettext("None."),
            link,
            gettext(
                "The “allow” IP rules: never a CAPTCHA, never blocked, never throttled. Edit them."
            ),
        )


class BlockStatusFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [
            ("active", _("In force")),
            ("released", _("Released")),
            ("expired", _("Expired")),
        ]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "active":
            return queryset.active(now)
        if self.value() == "released":
            return queryset.filter(released_at__isnull=False)
        if self.value() == "expired":
            return queryset.filter(released_at__isnull=True, expires_at__lte=now)
        return queryset


@admin.display(description=_("IP address or network"), ordering="ip")
def client(obj) -> str:
    """IPv6 rows stand for their /64 (see ``counters.counted_address``): say so."""
    return counted_address(obj.ip)


@admin.register(BruteForceBlock)
class BruteForceBlockAdmin(FilterErrorsAnswer400, SearchByIPOrUser, admin.ModelAdmin):
    list_display = (
        "blocked_at",
        "user",
        client,
        "all_ips",
        "failures",
        "expires_at",
        "status",
    )
    list_filter = (BlockStatusFilter, "all_ips", "release_reason")
    list_select_related = ("user",)
    search_help_text = _("An IP address, or the email or username that was typed.")
    actions = ["unblock"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("status"))
    def status(self, obj):
        if obj.released_at:
            return obj.get_release_reason_display() or gettext("Released")
        if obj.is_active:
            return gettext("In force")
        return gettext("Expired")

    @admin.action(description=_("Unblock the selected sign-ins"), permissions=["change"])
    def unblock(self, request, queryset):
        released = brute_force.release(
            list(queryset), BruteForceBlock.Release.ADMIN, by=request.user
        )
        decisions.lifted(request, released, BruteForceBlock.Release.ADMIN, by=request.user)
        self.message_user(
            request,
            ngettext("%d block lifted.", "%d blocks lifted.", len(released)) % len(released),
            messages.SUCCESS,
        )


@admin.register(ThrottleState)
class ThrottleStateAdmin(FilterErrorsAnswer400, admin.ModelAdmin):
    list_display = (client, "kind", "first_throttled_at", "last_throttled_at", "live_state")
    list_filter = ("kind",)
    search_fields = ("ip",)
    actions = ["clear_throttling"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields] + ["live_state"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # Deleting a row would not lift the throttling in the cache: "Clear" does both.
        return False

    @admin.display(description=_("now"))
    def live_state(self, obj):
        limiter = throttle.IPThrottle(AttackProtectionSettings.load())
        try:
            state = limiter.live_state([obj.ip])[(obj.ip, obj.kind)]
        except Exception as exc:
            return gettext("Cache unreachable (%s)") % exc.__class__.__name__
        if state.throttled:
            if state.retry_after:
                return gettext("Throttled for %(seconds)d more seconds") % {
                    "seconds": state.retry_after
                }
            return gettext("Throttled")
        return gettext("Not throttled: %(count)d attempts left") % {"count": state.remaining}

    @admin.action(
        description=_("Clear throttling of the selected addresses"), permissions=["change"]
    )
    def clear_throttling(self, request, queryset):
        rows = list(queryset)
        for row in rows:
            throttle.clear(row.ip, row.kind)
            record_event(
                EventType.UNBLOCKED,
                ip=row.ip,
                reason="IP throttling cleared by an administrator",
                data={"kind": row.kind, "throttle": True, "by": request.user.get_username()},
            )
        queryset.delete()
        self.message_user(
            request,
            ngettext("%d address cleared.", "%d addresses cleared.", len(rows)) % len(rows),
            messages.SUCCESS,
        )
