"""Admin of the passkeys app: the settings row, and every user's passkeys with a revoke
action."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ciam import signals as ciam_signals
from ciam.admin_console.settings_admin import SingletonSettingsAdmin

from .models import Passkey, PasskeySettings


@admin.register(PasskeySettings)
class PasskeySettingsAdmin(SingletonSettingsAdmin):
    """The one settings row: the list goes straight to its form; no add, no delete."""

    fields = ("passwordless_signup", "challenge_timeout", "attestation", "user_verification")


@admin.register(Passkey)
class PasskeyAdmin(admin.ModelAdmin):
    """Passkeys per user (filter on a user, or search by username or email); revoking deletes
    the passkey, so the user's device can no longer sign in with it."""

    list_display = (
        "name",
        "user",
        "created_at",
        "last_used_at",
        "backup_eligible",
        "clone_suspected_at",
    )
    list_filter = (
        ("user", admin.RelatedOnlyFieldListFilter),
        "backup_eligible",
        ("clone_suspected_at", admin.EmptyFieldListFilter),
    )
    search_fields = ("name", "user__username", "user__email")
    list_select_related = ("user",)
    ordering = ("-created_at",)
    actions = ("revoke",)
    fields = (
        "user",
        "name",
        "created_at",
        "last_used_at",
        "backup_eligible",
        "backed_up",
        "aaguid",
        "transports",
        "sign_count",
        "clone_suspected_at",
        "credential_id",
    )
    readonly_fields = tuple(f for f in fields if f != "name")

    def has_add_permission(self, request):
        # Passkeys are made by the user's authenticator, never typed in.
        return False

    @admin.action(description=_("Revoke selected passkeys"), permissions=["delete"])
    def revoke(self, request, queryset):
        revoked = 0
        for passkey in queryset.select_related("user"):
            user = passkey.user
            passkey.delete()
            revoked += 1
            ciam_signals.mfa_device_changed.send(
                sender=type(user), request=request, user=user, kind="passkey", action="removed"
            )
        self.message_user(
            request,
            ngettext("%(count)d passkey revoked.", "%(count)d passkeys revoked.", revoked)
            % {"count": revoked},
            messages.SUCCESS,
        )

    def delete_model(self, request, obj):
        user = obj.user
        super().delete_model(request, obj)
        ciam_signals.mfa_device_changed.send(
            sender=type(user), request=request, user=user, kind="passkey", action="removed"
        )
