"""What the console adds to two admins of the fraud app, as mixins their ``ModelAdmin`` lists
first (``class SecurityEventAdmin(SecurityCenterAdmin, admin.ModelAdmin)``):

- ``SecurityCenterAdmin``: ``security-center/`` (page, ``data.json``, ``data.csv``) and
  ``export.csv`` (the filtered list, streamed), linked from the list's tools;
- ``PolicyWhatIfAdmin``: ``<id>/what-if/`` (and ``what-if/`` from the add page), reached from
  the policy's form with its unsaved thresholds.

URL names: ``admin:ciam_fraud_securityevent_security_center`` (``_data``, ``_csv``),
``admin:ciam_fraud_securityevent_export``, ``admin:ciam_fraud_loginpolicy_what_if``.

The list (and so the export) takes only the lookups of its filters and the exact fields the
Security Center links with (``linked_fields``); any other answers 400. Filters the database
cannot apply (an IP address that is not one) answer 400 with a message, not 500.
"""

from __future__ import annotations

from functools import partial

from django.db.models.constants import LOOKUP_SEP
from django.urls import path

from ..admin_filters import FilterErrorsAnswer400
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


# The lookups Django's list filters put in the query string (``<field>__<lookup>``).
FILTER_LOOKUPS = {"", "exact", "gte", "lt", "isnull", "id__exact"}


class SecurityCenterAdmin(FilterErrorsAnswer400):
    # Filtered on exactly by the links of the Security Center's top tables.
    linked_fields = ("ip", "network", "identifier_hash")

    def get_urls(self):
        routes = [
            ("security-center/", views.security_center, "security_center"),
            ("security-center/data.json", views.security_center_data, "security_center_data"),
            ("security-center/data.csv", views.security_center_csv, "security_center_csv"),
            ("export.csv", views.export_events_csv, "export"),
        ]
        return _urls(self, routes) + super().get_urls()

    def lookup_allowed(self, lookup, value, request=None):
        name, _sep, kind = lookup.partition(LOOKUP_SEP)
        if name in self.linked_fields:
            allowed = kind in ("", "exact")
        else:
            allowed = name in self._filter_names(request) and kind in FILTER_LOOKUPS
        return allowed and super().lookup_allowed(lookup, value, request)

    def _filter_names(self, request) -> set[str]:
        names = set()
        for item in self.get_list_filter(request):
            if isinstance(item, str):
                names.add(item)
            elif isinstance(item, tuple):
                names.add(item[0])
            else:  # a SimpleListFilter
                names.add(item.parameter_name)
        return names

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
