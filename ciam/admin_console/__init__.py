"""The suite's admin, run as one console: an ``AdminSite`` that groups the suite's pages for an
administrator, sends its sign-in through the hosted login (with every protection of it) and can
require a verified second factor; and the base of the suite's settings pages, which records
every change in the security event log.

A site gets it by replacing ``"django.contrib.admin"`` with
``"ciam.admin_console.apps.ConsoleAdminConfig"`` in ``INSTALLED_APPS`` (see the README).
"""
