"""The security event log: one row per sign-up, sign-in attempt, step-up, deny, logout and
credential change."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ciam.singleton import SingletonModel


class EventType(models.TextChoices):
    SIGNUP = "signup", _("Sign-up")
    LOGIN_SUCCEEDED = "login_succeeded", _("Sign-in succeeded")
    LOGIN_FAILED = "login_failed", _("Sign-in failed")
    LOGIN_BLOCKED = "login_blocked", _("Sign-in blocked before the password check")
    LOGIN_DENIED = "login_denied", _("Sign-in denied")
    STEP_UP_REQUESTED = "step_up_requested", _("Second factor requested")
    STEP_UP_PASSED = "step_up_passed", _("Second factor passed")
    STEP_UP_FAILED = "step_up_failed", _("Second factor failed")
    LOGOUT = "logout", _("Sign-out")
    PASSWORD_CHANGED = "password_changed", _("Password changed")
    PASSWORD_RESET = "password_reset", _("Password reset")
    MFA_CHANGED = "mfa_changed", _("Second factor added or removed")
    PASSKEY_CHANGED = "passkey_changed", _("Passkey added or removed")
    SIGNUP_BLOCKED = "signup_blocked", _("Sign-up blocked")
    PASSWORD_RESET_BLOCKED = "password_reset_blocked", _("Password reset blocked")
    # Written by the attack-protection and admin work.
    CAPTCHA_SHOWN = "captcha_shown", _("CAPTCHA shown")
    CAPTCHA_SOLVED = "captcha_solved", _("CAPTCHA solved")
    CAPTCHA_FAILED = "captcha_failed", _("CAPTCHA failed")
    BRUTE_FORCE_BLOCK = "brute_force_block", _("Brute-force block")
    IP_THROTTLED = "ip_throttled", _("IP throttled")
    BREACHED_PASSWORD = "breached_password", _("Breached password detected")
    UNBLOCKED = "unblocked", _("Block lifted")
    DEVICE_UNTRUSTED = "device_untrusted", _("Device marked as not trusted")
    SETTINGS_CHANGED = "settings_changed", _("Settings changed")


class RiskVerdict(models.TextChoices):
    NONE = "", _("none")
    ALLOW = "allow", _("allow")
    STEP_UP = "step_up", _("step up")
    DENY = "deny", _("deny")


# Only successful sign-ins make a network or a country "known" for a user; the partial indexes
# below keep the risk engine's look-ups into that history small and constant-time.
SIGNED_IN = Q(type=EventType.LOGIN_SUCCEEDED)


class SecurityEvent(models.Model):
    """One thing that happened to an account or a sign-in attempt.

    ``user`` is set when the account is known; otherwise ``identifier_hash`` holds
    ``ciam.device.hash_identifier`` of what was typed. ``signals`` is a list of
    ``{"key", "weight", "explanation"}`` from the local risk engine; ``verdict``/``policy``/
    ``enforced`` say what the login policies decided (``enforced`` False: monitor mode, the
    verdict was recorded, not applied).
    """

    created_at = models.DateTimeField(_("time"), default=timezone.now)
    type = models.CharField(_("type"), max_length=32, choices=EventType.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        # Deleting a user keeps the history of attacks on the account.
        on_delete=models.SET_NULL,
        related_name="+",
    )
    identifier_hash = models.CharField(_("identifier (hashed)"), max_length=64, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    network = models.CharField(_("network"), max_length=43, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=512, blank=True)
    device_hash = models.CharField(_("device (hashed)"), max_length=64, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    score = models.FloatField(_("risk score"), null=True, blank=True)
    signals = models.JSONField(_("risk signals"), default=list, blank=True)
    verdict = models.CharField(
        _("verdict"), max_length=10, choices=RiskVerdict.choices, blank=True, default=""
    )
    policy = models.CharField(_("policy"), max_length=100, blank=True)
    enforced = models.BooleanField(
        _("enforced"), default=True, help_text=_("False: monitor mode, recorded only.")
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("security event")
        verbose_name_plural = _("security events")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["created_at"], name="ciam_event_time"),
            models.Index(fields=["type", "created_at"], name="ciam_event_type_time"),
            models.Index(fields=["user", "created_at"], name="ciam_event_user_time"),
            models.Index(fields=["ip", "created_at"], name="ciam_event_ip_time"),
            models.Index(
                fields=["user", "network"], condition=SIGNED_IN, name="ciam_event_user_network"
            ),
            models.Index(
                fields=["user", "country"], condition=SIGNED_IN, name="ciam_event_user_country"
            ),
        ]

    def __str__(self):
        return f"{self.get_type_display()} · {self.created_at:%Y-%m-%d %H:%M:%S}"


class EventLogSettings(SingletonModel):
    """How long the security event log keeps its rows; tuned in the admin."""

    retention_days = models.PositiveIntegerField(
        _("keep events for (days)"),
        default=90,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text=_(
            "Events older than this are deleted by the ciam_purge_events command "
            "(run it daily). Default: 90."
        ),
    )

    class Meta:
        verbose_name = _("security event log settings")
        verbose_name_plural = _("security event log settings")

    def __str__(self):
        return str(_("Security event log settings"))
