"""Deployment settings of the notifications app, read lazily from Django settings prefixed
``CIAM_NOTIFICATIONS_``. What an administrator tunes (which emails, to whom) lives in
``notifications.models.NotificationSettings``."""

from django.conf import settings as django_settings


class NotificationsConf:
    """Typed access to the ``CIAM_NOTIFICATIONS_*`` settings; nothing is read at import time."""

    def _get(self, name, default):
        return getattr(django_settings, f"CIAM_NOTIFICATIONS_{name}", default)

    @property
    def RETRY_BASE_SECONDS(self) -> float:
        """First delay after an SMTP error; doubled at each attempt, with jitter."""
        return float(self._get("RETRY_BASE_SECONDS", 60))

    @property
    def RETRY_MAX_SECONDS(self) -> float:
        """Longest delay between two attempts to send one email."""
        return float(self._get("RETRY_MAX_SECONDS", 3600))

    @property
    def MAX_ATTEMPTS(self) -> int:
        """Attempts before an email that keeps failing is marked failed (the default spreads
        them over about half a day)."""
        return int(self._get("MAX_ATTEMPTS", 15))

    @property
    def LEASE_SECONDS(self) -> float:
        """How long a worker owns an email it claimed; one still "sending" after this (its
        worker died) is claimed again by the periodic task."""
        return float(self._get("LEASE_SECONDS", 300))

    @property
    def BATCH(self) -> int:
        """Emails the periodic task sends per run."""
        return int(self._get("BATCH", 200))

    @property
    def SMTP_TIMEOUT(self) -> float:
        """Seconds an SMTP connection may hang when Django's ``EMAIL_TIMEOUT`` is not set (its
        default, None, would let a silent mail server block a worker for ever)."""
        return float(self._get("SMTP_TIMEOUT", 10))

    @property
    def LINK_MAX_AGE(self) -> int:
        """Seconds a "This wasn't me" link works after the email was sent (default 7 days)."""
        return int(self._get("LINK_MAX_AGE", 7 * 24 * 3600))

    @property
    def RETENTION_DAYS(self) -> int:
        """Days the delivery log keeps emails that were sent (at least the link's age)."""
        return max(int(self._get("RETENTION_DAYS", 90)), self.LINK_MAX_AGE // 86400 + 1)


settings = NotificationsConf()
