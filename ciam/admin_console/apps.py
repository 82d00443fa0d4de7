from django.contrib.admin.apps import AdminConfig


class ConsoleAdminConfig(AdminConfig):
    """``django.contrib.admin`` with ``ConsoleAdminSite`` as ``admin.site`` (Django's documented
    way to replace the default site: every ``@admin.register`` of every app lands on it)."""

    default_site = "ciam.admin_console.site.ConsoleAdminSite"
