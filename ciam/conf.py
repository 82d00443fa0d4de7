"""Deployment settings of django-ciam, read lazily from Django settings prefixed ``CIAM_``.

Administrator settings live in models (see ``ciam.singleton``); only what a deployment decides
(URLs of external services, timeouts, proxies, keys) lives here.
"""

from django.conf import settings as django_settings

# allauth's own limits, loosened so they never fire before the suite's documented thresholds
# (brute force: 10 failures per identifier and IP, up to 100 in the admin; IP throttling:
# 100 failed logins per IP per day, 50 sign-ups per IP per minute). Use as ACCOUNT_RATE_LIMITS.
ALLAUTH_RATE_LIMITS = {
    # Each allauth limit costs four cache round trips (a lock, a read, a write, an unlock);
    # the suite's own counters cover these three in one or two.
    "login": None,
    "login_failed": None,
    "signup": None,
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "reauthenticate": "10/m/user",
    "confirm_email": "1/180s/key",
}

# The hosted pages' forms, with bounded fields. Use as ACCOUNT_FORMS.
ALLAUTH_FORMS = {
    "login": "ciam.forms.LoginForm",
    "signup": "ciam.forms.SignupForm",
    "reset_password": "ciam.forms.ResetPasswordForm",
    "reset_password_from_key": "ciam.forms.ResetPasswordKeyForm",
    "change_password": "ciam.forms.ChangePasswordForm",
}


class CiamSettings:
    """Typed access to ``CIAM_*`` settings; nothing is read at import time."""

    def _get(self, name, default):
        return getattr(django_settings, f"CIAM_{name}", default)

    @property
    def TRUSTED_PROXY_COUNT(self) -> int:
        return int(self._get("TRUSTED_PROXY_COUNT", 0))

    @property
    def DEVICE_COOKIE_NAME(self) -> str:
        return self._get("DEVICE_COOKIE_NAME", "ciam_device")

    @property
    def DEVICE_COOKIE_AGE(self) -> int:
        """Seconds a device cookie lives: two years, renewed on sign-in."""
        return int(self._get("DEVICE_COOKIE_AGE", 2 * 365 * 24 * 3600))

    @property
    def ENCRYPTION_KEY(self) -> str | None:
        return self._get("ENCRYPTION_KEY", None)

    @property
    def SETTINGS_CACHE_SECONDS(self) -> float:
        """How long a process trusts its copy of the admin settings before re-reading."""
        return float(self._get("SETTINGS_CACHE_SECONDS", 5))

    @property
    def MAX_FIELD_LENGTH(self) -> int:
        """Longest identifier or password a login form accepts before answering 400."""
        return int(self._get("MAX_FIELD_LENGTH", 1024))


settings = CiamSettings()
