"""The administrator's settings of attack protection: ``AttackProtectionSettings`` (the four
protections of the "Attack protection" page) and the choices its fields take."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from ciam.crypto import EncryptedTextField
from ciam.singleton import SingletonModel


class CaptchaMode(models.TextChoices):
    NEVER = "never", _("Never")
    WHEN_RISKY = "risky", _("When risky")
    ALWAYS = "always", _("Always")


class RiskLevel(models.TextChoices):
    LOW = "low", _("Low: only clear bots (bot score above 0.8)")
    MEDIUM = "medium", _("Medium: bot score above 0.5")
    HIGH = "high", _("High: anything doubtful (bot score above 0.3)")


# The bot score above which "When risky" asks for a CAPTCHA.
RISK_THRESHOLDS = {RiskLevel.LOW: 0.8, RiskLevel.MEDIUM: 0.5, RiskLevel.HIGH: 0.3}


class CaptchaProvider(models.TextChoices):
    PROOF_OF_WORK = "pow", _("Built-in proof of work (no third party)")
    TURNSTILE = "turnstile", _("Cloudflare Turnstile")
    HCAPTCHA = "hcaptcha", _("hCaptcha")
    RECAPTCHA_V2 = "recaptcha_v2", _("Google reCAPTCHA v2 (checkbox)")
    RECAPTCHA_V3 = "recaptcha_v3", _("Google reCAPTCHA v3 (score)")


class OutageBehaviour(models.TextChoices):
    AUTO = "auto", _("Closed when the mode is Always, open when it is When risky")
    OPEN = "open", _("Fail open: let the attempt through")
    CLOSED = "closed", _("Fail closed: refuse the attempt")


class DigestFrequency(models.TextChoices):
    IMMEDIATELY = "immediately", _("Immediately")
    DAILY = "daily", _("Daily digest")
    WEEKLY = "weekly", _("Weekly digest")


def _switch(verbose_name, default: bool, what: str):
    state = _("on") if default else _("off")
    return models.BooleanField(
        verbose_name,
        default=default,
        help_text=_("%(what)s Default: %(state)s.")
        % {
            "what": what,
            "state": state,
        },
    )


def _mode(flow: str):
    return models.CharField(
        _("CAPTCHA on %(flow)s") % {"flow": flow},
        max_length=10,
        choices=CaptchaMode.choices,
        default=CaptchaMode.NEVER,
        help_text=_(
            "Never: no bot score and no CAPTCHA on this flow. When risky: a CAPTCHA when the "
            "bot score is above the risk level. Always: every attempt. Default: Never."
        ),
    )


class AttackProtectionSettings(SingletonModel):
    """The four protections of the "Attack protection" page, with Auth0's defaults.

    The allow list is the "allow" rules of the risk engine's IP rules: an address there never
    sees a CAPTCHA, is never blocked and never throttled.
    """

    # --- Bot detection ----------------------------------------------------------------------
    bot_detection_enabled = _switch(
        _("bot detection"), True, _("Off: no bot score, no CAPTCHA anywhere.")
    )
    captcha_login = _mode(_("sign-in"))
    captcha_signup = _mode(_("sign-up"))
    captcha_password_reset = _mode(_("password reset"))
    bot_risk_level = models.CharField(
        _("risk level"),
        max_length=10,
        choices=RiskLevel.choices,
        default=RiskLevel.MEDIUM,
        help_text=_('The bot score above which "When risky" asks for a CAPTCHA. Default: Medium.'),
    )
    min_form_seconds = models.FloatField(
        _("fastest human form (seconds)"),
        default=2.0,
        validators=[MinValueValidator(0.0), MaxValueValidator(30.0)],
        help_text=_(
            "A form sent sooner than this after the page was shown adds to the bot score. "
            "Default: 2."
        ),
    )
    captcha_provider = models.CharField(
        _("CAPTCHA provider"),
        max_length=20,
        choices=CaptchaProvider.choices,
        default=CaptchaProvider.PROOF_OF_WORK,
        help_text=_(
            "The built-in proof of work needs no account and works offline. The others need a "
            "site key and a secret from the provider. Default: built-in proof of work."
        ),
    )
    captcha_site_key = models.CharField(
        _("site key"),
        max_length=200,
        blank=True,
        help_text=_("The public key of the provider's widget. Default: empty."),
    )
    captcha_secret = EncryptedTextField(
        _("secret key"),
        blank=True,
        help_text=_(
            "The provider's server-side secret. Stored encrypted; shown masked. Default: empty."
        ),
    )
    recaptcha_min_score = models.FloatField(
        _("reCAPTCHA v3 minimum score"),
        default=0.5,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text=_("reCAPTCHA v3 answers below this score fail the check. Default: 0.5."),
    )
    pow_difficulty = models.PositiveSmallIntegerField(
        _("proof-of-work difficulty (bits)"),
        default=16,
        validators=[MinValueValidator(8), MaxValueValidator(24)],
        help_text=_(
            "Leading zero bits the browser must find; each bit doubles the work (16 takes "
            "about a second on a phone). Default: 16."
        ),
    )
    captcha_outage = models.CharField(
        _("when the CAPTCHA provider is down"),
        max_length=10,
        choices=OutageBehaviour.choices,
        default=OutageBehaviour.AUTO,
        help_text=_(
            "What happens when the provider cannot be reached. Default: closed for Always, "
            "open for When risky."
        ),
    )

    # --- Brute-force protection -------------------------------------------------------------
    brute_force_enabled = _switch(
        _("brute-force protection"),
        True,
        _("Off: failed sign-ins are not counted per account and IP."),
    )
    brute_force_threshold = models.PositiveSmallIntegerField(
        _("brute-force threshold"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_(
            "Consecutive failed sign-ins for one account from one IP before that IP is blocked "
            "for that account (1 to 100). Default: 10."
        ),
    )
    brute_force_block = _switch(
        _("block brute-force logins"),
        True,
        _("Off: blocks are recorded and notified but not enforced."),
    )
    brute_force_lock_all_ips = _switch(
        _("account lockout (every IP)"),
        False,
        _("On: the threshold counts failures from every IP and blocks the account everywhere."),
    )
    brute_force_notify_user = _switch(
        _("email the user"),
        True,
        _("Send the user an email with an unblock link (at most once an hour per IP)."),
    )

    # --- Suspicious IP throttling -----------------------------------------------------------
    ip_throttling_enabled = _switch(
        _("suspicious IP throttling"), True, _("Off: no per-IP limit across accounts.")
    )
    login_failures_per_ip = models.PositiveIntegerField(
        _("failed sign-ins per IP"),
        default=100,
        validators=[MinValueValidator(1), MaxValueValidator(100_000)],
        help_text=_("Failed sign-ins one IP may make across all accounts. Default: 100."),
    )
    login_refill_minutes = models.PositiveIntegerField(
        _("one failed sign-in forgiven every (minutes)"),
        default=15,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 60)],
        help_text=_(
            "The allowance refills at this pace: 15 minutes gives back the 100 in about a day. "
            "Default: 15."
        ),
    )
    signups_per_ip_per_minute = models.PositiveIntegerField(
        _("sign-ups per IP per minute"),
        default=50,
        validators=[MinValueValidator(1), MaxValueValidator(100_000)],
        help_text=_("Sign-up attempts one IP may make in a minute. Default: 50."),
    )
    ip_throttling_notify_admins = _switch(
        _("alert administrators"), True, _("At most once an hour per IP.")
    )

    # --- Breached password detection --------------------------------------------------------
    breached_enabled = _switch(
        _("breached password detection"),
        False,
        _(
            "On: passwords are checked against Have I Been Pwned at sign-up, password change, "
            "reset and sign-in. Django's common-password list applies either way."
        ),
    )
    breached_block_login = _switch(
        _("block sign-in until the password is reset"),
        True,
        _("A sign-in with a breached password is refused and sent to the reset page."),
    )
    breached_notify_user = _switch(_("email the user"), True, _("At most once an hour per user."))
    breached_notify_admins = _switch(
        _("alert administrators"), True, _("As often as chosen below.")
    )
    breached_admin_frequency = models.CharField(
        _("administrator alerts"),
        max_length=12,
        choices=DigestFrequency.choices,
        default=DigestFrequency.IMMEDIATELY,
        help_text=_("Default: immediately."),
    )
    breached_test_prefix = models.CharField(
        _("test prefix"),
        max_length=40,
        blank=True,
        help_text=_(
            "Passwords starting with this text count as breached, so you can try the flow "
            "(e.g. BREACHED-TEST-). At least 8 characters. Default: empty (off)."
        ),
    )

    class Meta:
        verbose_name = _("attack protection settings")
        verbose_name_plural = _("attack protection settings")

    def __str__(self):
        return str(_("Attack protection settings"))

    def clean(self):
        errors = {}
        external = self.captcha_provider != CaptchaProvider.PROOF_OF_WORK
        if external and not self.captcha_site_key.strip():
            errors["captcha_site_key"] = _("This provider needs a site key.")
        if external and not (self.captcha_secret or "").strip():
            errors["captcha_secret"] = _("This provider needs a secret key.")
        prefix = self.breached_test_prefix.strip()
        if prefix and len(prefix) < 8:
            errors["breached_test_prefix"] = _(
                "Use at least 8 characters, so no real password starts with it by chance."
            )
        if errors:
            raise ValidationError(errors)

    def captcha_mode(self, flow: str) -> str:
        """The CAPTCHA mode of ``flow`` ("login", "signup", "password_reset")."""
        if not self.bot_detection_enabled:
            return CaptchaMode.NEVER
        return {
            "login": self.captcha_login,
            "signup": self.captcha_signup,
            "password_reset": self.captcha_password_reset,
        }.get(flow, CaptchaMode.NEVER)

    @property
    def bot_threshold(self) -> float:
        return RISK_THRESHOLDS.get(self.bot_risk_level, RISK_THRESHOLDS[RiskLevel.MEDIUM])

    def fails_open(self, mode: str) -> bool:
        """Whether an unreachable CAPTCHA provider lets an attempt in ``mode`` through."""
        if self.captcha_outage == OutageBehaviour.OPEN:
            return True
        if self.captcha_outage == OutageBehaviour.CLOSED:
            return False
        return mode == CaptchaMode.WHEN_RISKY
