"""The base of the suite's settings pages in the admin: every change is reported, field by
field, with secrets masked (``signals.settings_changed``; the security event log records it).

``AuditedSettingsAdmin`` is a mixin for any ``ModelAdmin`` of settings (singleton rows, login
policies, IP rules); ``SingletonSettingsAdmin`` adds the one-row behaviour.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import models
from django.shortcuts import redirect
from django.urls import reverse

from ..crypto import EncryptedTextField, mask_secret
from .signals import settings_changed


def is_secret(field: models.Field) -> bool:
    """Fields stored encrypted are secrets: never written anywhere in clear."""
    return isinstance(field, EncryptedTextField)


def audited_fields(model) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if f.editable and not f.primary_key]


def field_values(obj) -> dict[str, Any]:
    """The audited fields of ``obj``, raw (secrets included: compare, never store these)."""
    return {f.name: f.value_from_object(obj) for f in audited_fields(type(obj))}


def _shown(field: models.Field, value) -> Any:
    if is_secret(field):
        return mask_secret(value) if value else ""
    if isinstance(value, datetime | date | time | Decimal):
        return str(value)
    if value is None or isinstance(value, bool | int | float | str | list | dict):
        return value
    return str(value)


def describe_changes(model, before: dict[str, Any], after: dict[str, Any]) -> list[dict]:
    """``[{"field", "label", "old", "new"}]`` for each field whose value differs, secrets
    masked (a replaced secret with the same last characters is still reported)."""
    changes = []
    for field in audited_fields(model):
        old, new = before.get(field.name), after.get(field.name)
        if old == new:
            continue
        changes.append(
            {
                "field": field.name,
                "label": str(field.verbose_name),
                "old": _shown(field, old),
                "new": _shown(field, new),
            }
        )
    return changes


class AuditedSettingsAdmin:
    """Mixin for a ``ModelAdmin``: after each add, change or delete made in the admin, sends
    ``settings_changed`` with who made it and what changed (nothing when a save changed
    nothing)."""

    def save_model(self, request, obj, form, change):
        saved = type(obj)._default_manager.filter(pk=obj.pk).first() if obj.pk else None
        before = field_values(saved) if saved is not None else {}
        super().save_model(request, obj, form, change)
        changes = describe_changes(type(obj), before, field_values(obj))
        if changes:
            self._report(request, obj, "changed" if saved is not None else "added", changes)

    def delete_model(self, request, obj):
        before = field_values(obj)
        super().delete_model(request, obj)
        self._report(request, obj, "deleted", describe_changes(type(obj), before, {}))

    def delete_queryset(self, request, queryset):
        objects = list(queryset)
        super().delete_queryset(request, queryset)
        for obj in objects:
            changes = describe_changes(type(obj), field_values(obj), {})
            self._report(request, obj, "deleted", changes)

    def _report(self, request, obj, action: str, changes: list[dict]) -> None:
        settings_changed.send(
            sender=type(obj),
            request=request,
            user=request.user,
            instance=obj,
            action=action,
            changes=changes,
        )


class SingletonSettingsAdmin(AuditedSettingsAdmin, admin.ModelAdmin):
    """The one row of a ``ciam.singleton.SingletonModel``: the list opens its form; no add, no
    delete; changes audited."""

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        obj = self.model.load()
        opts = self.model._meta
        return redirect(
            reverse(
                f"admin:{opts.app_label}_{opts.model_name}_change",
                args=[obj.pk],
                current_app=self.admin_site.name,
            )
        )
