"""``ConsoleAdminSite``: Django's admin site, run as the suite's console.

- The index and the sidebar group the suite's pages by section (``sections.SECTIONS``).
- ``/admin/login/`` never checks a password: it sends the visitor to the hosted login
  (``settings.LOGIN_URL``), so signing in to the admin goes through IP throttling, brute-force
  blocks, bot detection, the risk check and step-up like any other sign-in. A signed-in user
  who is not staff gets a 403 page. Changing one's password is the hosted page too.
- With "Staff must verify a second factor to use the admin" on (``ciam.LoginSettings``),
  staff must also have passed a django-otp second factor in this session
  (``request.user.is_verified()``, django-otp's ``OTPAdminSite`` rule); ``/admin/verify/``
  asks for a code.
"""

from __future__ import annotations

from django.conf import settings as django_settings
from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from . import second_factor
from .second_factor import second_factor_missing
from .sections import SECTIONS, group_app_list


class ConsoleAdminSite(admin.AdminSite):
    site_header = _("Account security console")
    site_title = _("Account security console")
    index_title = _("Console")
    sections = SECTIONS

    def has_permission(self, request):
        return super().has_permission(request) and not second_factor_missing(request)

    def get_app_list(self, request, app_label=None):
        app_list = super().get_app_list(request, app_label)
        return group_app_list(app_list, self.name, self.sections, app_label)

    def get_urls(self):
        urls = [
            path(
                "section/<slug:slug>/",
                self.admin_view(self.section_view),
                name="console_section",
            ),
            path("verify/", second_factor.verify_view(self), name="console_verify"),
        ]
        return urls + super().get_urls()

    def section_view(self, request, slug):
        section = next((s for s in self.sections if s.slug == slug), None)
        if section is None:
            raise Http404
        groups = [
            g for g in self.get_app_list(request) if g["app_label"] == f"console-{section.slug}"
        ]
        if not groups:
            raise Http404
        context = {
            **self.each_context(request),
            "title": groups[0]["name"],
            "subtitle": None,
            "app_list": groups,
            "app_label": groups[0]["app_label"],
        }
        request.current_app = self.name
        return TemplateResponse(request, "admin/app_index.html", context)

    def safe_next(self, request) -> str:
        """Where to go after signing in: the ``next`` asked for when it is on this site, else
        the admin index."""
        index = reverse("admin:index", current_app=self.name)
        candidate = request.GET.get(REDIRECT_FIELD_NAME) or request.POST.get(REDIRECT_FIELD_NAME)
        if candidate and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return candidate
        return index

    @method_decorator(never_cache)
    def login(self, request, extra_context=None):
        next_url = self.safe_next(request)
        user = request.user
        if not user.is_authenticated:
            # Posted credentials are never checked here: only the hosted login checks them.
            return redirect_to_login(next_url, resolve_url(django_settings.LOGIN_URL))
        if not (user.is_active and user.is_staff):
            context = {
                **self.each_context(request),
                "title": _("This account cannot use the administration"),
                "username": user.get_username(),
                "switch_url": resolve_url(django_settings.LOGIN_URL),
            }
            return TemplateResponse(
                request, "admin/ciam_console/not_staff.html", context, status=403
            )
        if second_factor_missing(request):
            verify = reverse("admin:console_verify", current_app=self.name)
            return redirect_to_login(next_url, verify)
        return HttpResponseRedirect(next_url)

    def password_change(self, request, extra_context=None):
        # The hosted page: the suite's validators, signals, event log and emails apply.
        return HttpResponseRedirect(reverse("account_change_password"))
