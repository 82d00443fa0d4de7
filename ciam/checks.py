"""System checks of ciam: a deployment that quietly weakens the protections is reported."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from .conf import settings as ciam_settings


@register(Tags.security, deploy=False)
def check_deployment(app_configs, **kwargs):
    problems = []
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if backend.endswith("LocMemCache") or backend.endswith("DummyCache"):
        problems.append(
            Warning(
                "The default cache is not shared between processes: brute-force and "
                "throttling counters are per process.",
                hint="Set REDIS_URL (or a Redis CACHES backend) in production.",
                id="ciam.W001",
            )
        )
    allauth_count = getattr(settings, "ALLAUTH_TRUSTED_PROXY_COUNT", 0)
    if allauth_count != ciam_settings.TRUSTED_PROXY_COUNT:
        problems.append(
            Error(
                "ALLAUTH_TRUSTED_PROXY_COUNT differs from CIAM_TRUSTED_PROXY_COUNT: allauth "
                "and the suite would see different client addresses.",
                hint="Set ALLAUTH_TRUSTED_PROXY_COUNT = CIAM_TRUSTED_PROXY_COUNT.",
                id="ciam.E002",
            )
        )
    adapter = getattr(settings, "ACCOUNT_ADAPTER", "")
    if adapter != "ciam.adapter.AccountAdapter":
        from allauth.account.adapter import get_adapter

        from .adapter import AccountAdapter

        if not isinstance(get_adapter(), AccountAdapter):
            problems.append(
                Error(
                    "ACCOUNT_ADAPTER does not extend ciam.adapter.AccountAdapter: the login "
                    "pipeline is not running.",
                    hint='Set ACCOUNT_ADAPTER = "ciam.adapter.AccountAdapter" or subclass it.',
                    id="ciam.E003",
                )
            )
    for name in ("DeviceCookieMiddleware", "FormStatusMiddleware"):
        if f"ciam.middleware.{name}" not in settings.MIDDLEWARE:
            problems.append(
                Error(
                    f"ciam.middleware.{name} is not in MIDDLEWARE.",
                    hint="Add it after allauth's AccountMiddleware.",
                    id="ciam.E004",
                )
            )
    limits = getattr(settings, "ACCOUNT_RATE_LIMITS", None)
    if isinstance(limits, dict) and limits.get("login_failed"):
        problems.append(
            Warning(
                "allauth's login_failed rate limit is on: it blocks sign-ins before the suite's "
                "brute-force protection and without its unblock link.",
                hint="Use ACCOUNT_RATE_LIMITS = ciam.conf.ALLAUTH_RATE_LIMITS.",
                id="ciam.W005",
            )
        )
    return problems
