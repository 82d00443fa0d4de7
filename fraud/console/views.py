"""Pages of the console, served by the security events' and login policies' admins (see
``fraud.console.admin``): the Security Center, its JSON and CSV, the events CSV export and the
policy what-if."""

from __future__ import annotations

from django.contrib.admin.exceptions import DisallowedModelAdminLookup
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseBadRequest, JsonResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from ..admin_filters import UnusableFilters, bad_request
from .export import csv_lines, csv_response, event_rows
from .report import BUCKETS, SIFT_LABELS, WINDOW_LABELS, Window, WindowError
from .report import build_report as build
from .whatif import OUTCOME_LABELS, WhatIfForm, replay


def _window(request) -> Window:
    return Window.make(request.GET.get("window") or "24h", request.GET.get("bucket") or None)


def _check_view(model_admin, request):
    if not model_admin.has_view_permission(request):
        raise PermissionDenied


def _url(model_admin, name: str) -> str:
    opts = model_admin.model._meta
    return reverse(
        f"admin:{opts.app_label}_{opts.model_name}_{name}", current_app=model_admin.admin_site.name
    )


def security_center(model_admin, request):
    _check_view(model_admin, request)
    try:
        window = _window(request)
    except WindowError as error:
        return HttpResponseBadRequest(str(error))
    report = build(window)
    query = urlencode({"window": window.key, "bucket": window.bucket})
    changelist = _url(model_admin, "changelist")
    windows = [
        {
            "key": key,
            "label": label,
            "url": "?" + urlencode({"window": key}),
            "current": key == window.key,
        }
        for key, label in WINDOW_LABELS.items()
    ]
    buckets = [
        {
            "key": key,
            "label": label,
            "url": "?" + urlencode({"window": window.key, "bucket": key}),
            "current": key == window.bucket,
        }
        for key, label in BUCKETS.items()
        if not (window.key == "24h" and key == "day")
    ]
    labels = report.bucket_labels()
    charts = report.charts()
    for chart in charts:
        # Rows of the number tables: one per bucket (or Sift score band).
        chart["rows"] = [
            {"label": label, "values": [s["data"][i] for s in chart["series"]]}
            for i, label in enumerate(chart["labels"])
        ]
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": _("Security Center"),
        "report": report,
        "charts": charts,
        "labels": labels,
        "windows": windows,
        "buckets": buckets,
        "data_url": _url(model_admin, "security_center_data") + "?" + query,
        "csv_url": _url(model_admin, "security_center_csv") + "?" + query,
        "changelist_url": changelist,
        "top_tables": [
            (_("Top attacking IP addresses"), _("IP address"), "ip", report.top_ips),
            (_("Top attacking networks"), _("Network"), "network", report.top_networks),
            (
                _("Most targeted accounts"),
                _("Account"),
                "identifier_hash",
                report.top_accounts,
            ),
        ],
        "rollup_lag_hours": (
            int(report.rollup_lag.total_seconds() // 3600) if report.rollup_lag else 0
        ),
    }
    request.current_app = model_admin.admin_site.name
    return TemplateResponse(request, "admin/ciam_fraud/security_center.html", context)


def security_center_data(model_admin, request):
    _check_view(model_admin, request)
    try:
        window = _window(request)
    except WindowError as error:
        return JsonResponse({"error": str(error)}, status=400)
    data = build(window).as_dict()
    for row in data["recent"]:
        row["url"] = reverse(
            "admin:ciam_fraud_securityevent_change",
            args=[row["id"]],
            current_app=model_admin.admin_site.name,
        )
    return JsonResponse(data)


def security_center_csv(model_admin, request):
    """The numbers behind the charts: one row per bucket, one column per series (the Sift
    score bands last, counted over each bucket)."""
    _check_view(model_admin, request)
    try:
        window = _window(request)
    except WindowError as error:
        return HttpResponseBadRequest(str(error))
    report = build(window)
    charts = report.charts()
    series = [s for chart in charts[:-1] for s in chart["series"]]
    sift = [(f"sift:{i}", _("Sift score %s") % band) for i, band in enumerate(SIFT_LABELS)]
    header = [_("bucket start")] + [s["label"] for s in series] + [label for _m, label in sift]
    rows = (
        [start.isoformat()]
        + [s["data"][i] for s in series]
        + [report.values(metric)[i] for metric, _label in sift]
        for i, start in enumerate(report.window.buckets)
    )
    return csv_response(csv_lines(header, rows), f"security-center-{window.key}")


def export_events_csv(model_admin, request):
    """The security events of the changelist as filtered and searched, streamed."""
    _check_view(model_admin, request)
    try:
        changelist = model_admin.get_changelist_instance(request)
    except UnusableFilters as error:
        return bad_request(str(error))
    except (IncorrectLookupParameters, DisallowedModelAdminLookup):
        return bad_request(_("These filters do not apply to security events."))
    header, rows = event_rows(changelist.queryset)
    return csv_response(csv_lines(header, rows), "security-events")


def policy_what_if(model_admin, request, object_id=None):
    """Replay recorded sign-ins through the thresholds posted from the policy's form."""
    policy = model_admin.get_object(request, object_id) if object_id else None
    if object_id and policy is None:
        return model_admin._get_obj_does_not_exist_redirect(
            request, model_admin.model._meta, object_id
        )
    # The examples are security events: both permissions are needed.
    allowed = model_admin.has_view_or_change_permission(request, policy) and request.user.has_perm(
        "ciam_fraud.view_securityevent"
    )
    if not allowed:
        raise PermissionDenied
    result = None
    status = 200
    if request.method == "POST":
        form = WhatIfForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            result = replay(
                data["deny_above"],
                data["step_up_above"],
                data["force_step_up_signals"],
                data["whatif_days"],
            )
        else:
            status = 400
    else:
        initial = {"whatif_days": 30}
        if policy is not None:
            initial.update(
                deny_above=policy.deny_above,
                step_up_above=policy.step_up_above,
                force_step_up_signals=policy.force_step_up_signals,
            )
        form = WhatIfForm(initial=initial)
    opts = model_admin.model._meta
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": opts,
        "original": policy,
        "title": _("What would this policy have done?"),
        "form": form,
        "result": result,
        "outcome_labels": OUTCOME_LABELS,
        "policy_url": (
            reverse(
                f"admin:{opts.app_label}_{opts.model_name}_change",
                args=[policy.pk],
                current_app=model_admin.admin_site.name,
            )
            if policy
            else _url(model_admin, "add")
        ),
    }
    request.current_app = model_admin.admin_site.name
    return TemplateResponse(
        request, "admin/ciam_fraud/loginpolicy/what_if.html", context, status=status
    )
