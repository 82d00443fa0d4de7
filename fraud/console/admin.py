"""What the console adds to two admins of the fraud app, as mixins their ``ModelAdmin`` lists
first (``class SecurityEventAdmin(SecurityCenterAdmin, admin.ModelAdmin)``):

- ``SecurityCenterAdmin``: ``security-center/`` (page, ``data.json``, ``data.csv``) and
  ``export.csv`` (the filtered list, streamed), linked from the list's tools;
- ``PolicyWhatIfAdmin``: ``<id>/what-if/`` (and ``what-if/`` from the add page), reached from
  the policy's form with its unsaved thresholds.

URL names: ``admin:ciam_fraud_securityevent_security_center`` (``_data``, ``_csv``),
``admin:ciam_fraud_securityevent_export``, ``admin:ciam_fraud_loginpolicy_what_if``.
"""

from __future__ import annotations

from functools import partial

from django.urls import path

from . import views


def _urls(model_admin, routes):
    opts = model_admin.model._meta
    wrap = model_admin.admin_site.admin_view
    return [
        path(
            route,
            wrap(partial(view, model_admin)),
            name=f"{opts.app_label}_{opts.model_name}_{name}",
        )
        for route, view, name in routes
    ]


class SecurityCenterAdmin:
    def get_urls(self):
        routes = [
            ("security-center/", views.security_center, "security_center"),
            ("security-center/data.json", views.security_center_data, "security_center_data"),
            ("security-center/data.csv", views.security_center_csv, "security_center_csv"),
            ("export.csv", views.export_events_csv, "export"),
        ]
        return _urls(self, routes) + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        query = request.GET.urlencode()
        extra = {
            "ciam_export_query": f"?{query}" if query else "",
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context=extra)


class PolicyWhatIfAdmin:
    def get_urls(self):
        routes = [
            ("what-if/", views.policy_what_if, "what_if"),
            ("<path:object_id>/what-if/", views.policy_what_if, "what_if"),
        ]
        return _urls(self, routes) + super().get_urls()
