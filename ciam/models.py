from datetime import timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .singleton import SingletonModel
from .verdicts import DEFAULT_DENY_MESSAGE, DEFAULT_DENY_TITLE


class LoginSettings(SingletonModel):
    """How the login pipeline enforces verdicts; tuned in the admin."""

    class StepUpFallback(models.TextChoices):
        DENY = "deny", _("Deny the sign-in")
        ALLOW = "allow", _("Let the sign-in through")

    step_up_fallback = models.CharField(
        _("when a user without a second factor must step up"),
        max_length=10,
        choices=StepUpFallback.choices,
        default=StepUpFallback.DENY,
        help_text=_("Default: deny. Allowing lets risky sign-ins through for users without MFA."),
    )
    deny_status = models.PositiveSmallIntegerField(
        _("status code of the deny page"),
        default=403,
        validators=[MinValueValidator(400), MaxValueValidator(499)],
        help_text=_(
            "HTTP status (400 to 499) of the page shown when a sign-in is denied. Default: 403."
        ),
    )
    deny_title = models.CharField(
        _("deny page title"),
        max_length=100,
        default=DEFAULT_DENY_TITLE,
        help_text=_("Heading of the deny page. Default: Login Restricted."),
    )
    deny_message = models.CharField(
        _("deny page message"),
        max_length=300,
        default=DEFAULT_DENY_MESSAGE,
        help_text=_(
            "Text of the deny page. Default: Your login attempt was identified as suspicious."
        ),
    )
    step_up_remember_hours = models.PositiveSmallIntegerField(
        _("recently verified (hours)"),
        default=12,
        validators=[MaxValueValidator(24 * 30)],
        help_text=_(
            "A user who passed a second factor on this device within this many hours (0 to "
            "720) is not asked again for a medium-risk sign-in. 0 asks every time. Default: 12."
        ),
    )
    admin_requires_second_factor = models.BooleanField(
        _("staff must verify a second factor to use the admin"),
        default=False,
        help_text=_(
            "On: the admin opens only in a session verified with an authenticator app or a "
            "backup code (at sign-in, or on the admin's own verification page). Default: off."
        ),
    )

    class Meta:
        verbose_name = _("login pipeline settings")
        verbose_name_plural = _("login pipeline settings")

    def __str__(self):
        return str(_("Login pipeline settings"))


class KnownDevice(models.Model):
    """A browser a user has signed in from, keyed by a hash of its device cookie."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ciam_devices"
    )
    device_hash = models.CharField(max_length=64)
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    last_ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    verified_at = models.DateTimeField(
        null=True, blank=True, help_text=_("Last time a second factor was passed here.")
    )
    trusted = models.BooleanField(
        default=True, help_text=_("Cleared when the user says a sign-in was not theirs.")
    )
    # The session this browser signed in with last, so "sign out everywhere" costs one query per
    # user, not a scan of every session of the site.
    session_key = models.CharField(max_length=40, blank=True, editable=False)

    class Meta:
        verbose_name = _("known device")
        constraints = [
            models.UniqueConstraint(fields=["user", "device_hash"], name="ciam_device_unique")
        ]

    def __str__(self):
        return f"{self.user} · {self.device_hash[:8]}"

    def recently_verified(self, hours: int) -> bool:
        if not hours or not self.verified_at or not self.trusted:
            return False
        return timezone.now() - self.verified_at < timedelta(hours=hours)
