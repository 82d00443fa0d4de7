"""System checks of the admin console: an admin whose own login form skips the suite's
protections, and Security Center roll-ups that nothing schedules."""

from django.apps import apps
from django.conf import settings
from django.core.checks import Tags, Warning, register

ROLL_UP = "fraud.console.roll_up_security_events"


@register(Tags.admin)
def check_admin_console(app_configs, **kwargs):
    problems = []
    if apps.is_installed("django.contrib.admin"):
        from django.contrib import admin

        from ciam.admin_console.site import ConsoleAdminSite

        if not isinstance(admin.site, ConsoleAdminSite):
            problems.append(
                Warning(
                    "The admin runs Django's own login form: signing in to /admin/ skips IP "
                    "throttling, brute-force blocks, bot detection and the risk check, and the "
                    "suite's sections and Security Center link are not in its index.",
                    hint='Replace "django.contrib.admin" with '
                    '"ciam.admin_console.apps.ConsoleAdminConfig" in INSTALLED_APPS.',
                    id="fraud.W040",
                )
            )
    schedule = getattr(settings, "CELERY_BEAT_SCHEDULE", None) or {}
    if not any(entry.get("task") == ROLL_UP for entry in schedule.values()):
        problems.append(
            Warning(
                "CELERY_BEAT_SCHEDULE has no entry for fraud.console.roll_up_security_events: "
                "the Security Center counts every event live, which is slow on a large log.",
                hint="Merge fraud.console.schedule.BEAT_SCHEDULE into CELERY_BEAT_SCHEDULE and "
                "run `celery -A config beat`.",
                id="fraud.W041",
            )
        )
    return problems
