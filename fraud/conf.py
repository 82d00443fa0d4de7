"""Deployment settings of the fraud app, read lazily from Django settings prefixed ``CIAM_``.

Same pattern as ``ciam.conf``: what a deployment decides (URLs of external services, delivery
timeouts, retry schedule) lives here; what an administrator tunes lives in models.
"""

from django.conf import settings as django_settings


class FraudSettings:
    """Typed access to the fraud app's ``CIAM_*`` settings; nothing is read at import time."""

    def _get(self, name, default):
        return getattr(django_settings, f"CIAM_{name}", default)

    @property
    def SIFT_API_URL(self) -> str:
        """Base URL of Sift's REST API (tests point it at a fake server on loopback)."""
        return str(self._get("SIFT_API_URL", "https://api.sift.com")).rstrip("/")

    @property
    def SIFT_DELIVERY_TIMEOUT(self) -> tuple[float, float]:
        """(connect, read) seconds for events delivered by a Celery worker, off the login path."""
        connect, read = self._get("SIFT_DELIVERY_TIMEOUT", (3.05, 10.0))
        return float(connect), float(read)

    @property
    def SIFT_RETRY_BASE_SECONDS(self) -> float:
        """First retry delay of an undelivered event; doubled at each attempt, with jitter."""
        return float(self._get("SIFT_RETRY_BASE_SECONDS", 30))

    @property
    def SIFT_RETRY_MAX_SECONDS(self) -> float:
        """Longest delay between two delivery attempts."""
        return float(self._get("SIFT_RETRY_MAX_SECONDS", 3600))

    @property
    def SIFT_MAX_ATTEMPTS(self) -> int:
        """Attempts before an event that keeps failing with retryable errors is marked failed
        (the default spreads them over about a day)."""
        return int(self._get("SIFT_MAX_ATTEMPTS", 30))

    @property
    def SIFT_DELIVERY_LEASE_SECONDS(self) -> float:
        """How long a worker owns a row it claimed; a row still "sending" after this (its
        worker died) is claimed again by the periodic task."""
        return float(self._get("SIFT_DELIVERY_LEASE_SECONDS", 300))

    @property
    def SIFT_DELIVERY_BATCH(self) -> int:
        """Rows the periodic task delivers per run."""
        return int(self._get("SIFT_DELIVERY_BATCH", 500))

    @property
    def SIFT_OUTBOX_RETENTION_DAYS(self) -> int:
        """Days delivered rows are kept (the admin's history, and how webhook decisions are
        matched to users). Failed rows are kept until deleted."""
        return int(self._get("SIFT_OUTBOX_RETENTION_DAYS", 30))

    @property
    def SIFT_BREAKER_FAILURES(self) -> int:
        """Consecutive failed synchronous calls that open the circuit breaker."""
        return int(self._get("SIFT_BREAKER_FAILURES", 5))

    @property
    def SIFT_BREAKER_COOLDOWN_SECONDS(self) -> float:
        """How long an open breaker answers at once without calling Sift."""
        return float(self._get("SIFT_BREAKER_COOLDOWN_SECONDS", 30))

    @property
    def SIFT_WEBHOOK_MAX_AGE(self) -> int:
        """Seconds a decision webhook stays acceptable after its ``time`` (either way, for
        clock skew): an older signed delivery is refused as a possible replay."""
        return int(self._get("SIFT_WEBHOOK_MAX_AGE", 600))

    # --- Attack protection: Have I Been Pwned and the CAPTCHA verifiers ----------------------

    @property
    def HIBP_API_URL(self) -> str:
        """Base URL of the Pwned Passwords range API (tests point it at a fake on loopback)."""
        return str(self._get("HIBP_API_URL", "https://api.pwnedpasswords.com")).rstrip("/")

    @property
    def HIBP_TIMEOUT(self) -> tuple[float, float]:
        """(connect, read) seconds of a range query; it runs inside a sign-in or a sign-up."""
        connect, read = self._get("HIBP_TIMEOUT", (2.0, 3.0))
        return float(connect), float(read)

    @property
    def HIBP_CACHE_SECONDS(self) -> int:
        """How long the answer for one 5-character hash prefix is kept in the shared cache."""
        return int(self._get("HIBP_CACHE_SECONDS", 24 * 3600))

    @property
    def HIBP_OUTAGE_BACKOFF_SECONDS(self) -> float:
        """After a failed range query, a process skips the API (failing open) for this long,
        so an outage does not add a timeout to every sign-in."""
        return float(self._get("HIBP_OUTAGE_BACKOFF_SECONDS", 30))

    @property
    def TURNSTILE_VERIFY_URL(self) -> str:
        return str(
            self._get(
                "TURNSTILE_VERIFY_URL", "https://challenges.cloudflare.com/turnstile/v0/siteverify"
            )
        )

    @property
    def HCAPTCHA_VERIFY_URL(self) -> str:
        return str(self._get("HCAPTCHA_VERIFY_URL", "https://api.hcaptcha.com/siteverify"))

    @property
    def RECAPTCHA_VERIFY_URL(self) -> str:
        return str(
            self._get("RECAPTCHA_VERIFY_URL", "https://www.google.com/recaptcha/api/siteverify")
        )

    @property
    def CAPTCHA_TIMEOUT(self) -> tuple[float, float]:
        """(connect, read) seconds of a CAPTCHA verification; past them the provider is down
        and the administrator's outage choice applies."""
        connect, read = self._get("CAPTCHA_TIMEOUT", (2.0, 4.0))
        return float(connect), float(read)


settings = FraudSettings()
