"""What the notifications app sends, to whom (``NotificationSettings``, tuned in the admin), and
the durable outbox of every email (``Notification``, the delivery log)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, validate_email
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ciam.singleton import SingletonModel

ALERT_PERMISSION = "ciam_notifications.receive_security_alerts"


class Kind(models.TextChoices):
    """Each kind has its templates ``notifications/email/<kind>_{subject,message}.*`` and an
    on/off switch in ``NotificationSettings`` (``SWITCHES``)."""

    SUSPICIOUS_SIGN_IN = "suspicious_sign_in", _("New sign-in to your account")
    BRUTE_FORCE_BLOCKED = "brute_force_blocked", _("Sign-ins blocked after failed attempts")
    BREACHED_PASSWORD = "breached_password", _("Password found in a data breach")
    ACCOUNT_CHANGED = "account_changed", _("Password, email or second factor changed")
    PASSKEY_CLONE = "passkey_clone", _("Passkey may have been copied")
    ADMIN_IP_THROTTLED = "admin_ip_throttled", _("Admin: IP throttled")
    ADMIN_BREACHED_PASSWORD = "admin_breached_password", _("Admin: breached password used")
    ADMIN_SIFT_DECISION = "admin_sift_decision", _("Admin: Sift decision applied")
    ADMIN_PASSKEY_CLONE = "admin_passkey_clone", _("Admin: passkey may have been copied")
    ADMIN_NOT_ME = "admin_not_me", _("Admin: a user reported activity that wasn't theirs")
    ADMIN_DIGEST = "admin_digest", _("Admin: digest")


USER_KINDS = frozenset(
    {
        Kind.SUSPICIOUS_SIGN_IN,
        Kind.BRUTE_FORCE_BLOCKED,
        Kind.BREACHED_PASSWORD,
        Kind.ACCOUNT_CHANGED,
        Kind.PASSKEY_CLONE,
    }
)
# The kinds whose email carries a "This wasn't me" link.
NOT_ME_KINDS = frozenset({Kind.SUSPICIOUS_SIGN_IN, Kind.ACCOUNT_CHANGED})


class Frequency(models.TextChoices):
    IMMEDIATELY = "immediately", _("Immediately")
    DAILY = "daily", _("Daily digest")
    WEEKLY = "weekly", _("Weekly digest")


def _switch(verbose_name, default: bool, what):
    return models.BooleanField(
        verbose_name,
        default=default,
        help_text=_("%(what)s Default: %(state)s.")
        % {"what": what, "state": _("on") if default else _("off")},
    )


class NotificationSettings(SingletonModel):
    """Which security emails are sent and to whom. The defaults email users about anything
    that may be a takeover and alert the staff who hold the permission "Can receive security
    alerts" (superusers hold every permission)."""

    # --- To users ----------------------------------------------------------------------------
    suspicious_sign_in = _switch(
        _("new sign-in"),
        True,
        _("Email users after a sign-in from a new device, network or country (as chosen below)."),
    )
    on_new_device = _switch(
        _("…from a new device"), True, _("The risk engine's new-device signal.")
    )
    on_new_network = _switch(
        _("…from a new network"),
        False,
        _("The risk engine's new-network signal (mobile users change networks often)."),
    )
    on_new_country = _switch(
        _("…from a new country"), True, _("The risk engine's new-country signal (needs GeoIP).")
    )
    score_above = models.FloatField(
        _("…or with a risk score above"),
        null=True,
        blank=True,
        default=0.5,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text=_("Any sign-in scored above this is emailed too. Empty: never. Default: 0.5."),
    )
    brute_force_blocked = _switch(
        _("brute-force block"),
        True,
        _(
            "Email the IP that was blocked and an unblock link (also needs “email the user” "
            "in Attack protection)."
        ),
    )
    breached_password = _switch(
        _("breached password"),
        True,
        _(
            "Email a link to reset a password found in a breach (also needs “email the user” "
            "in Attack protection)."
        ),
    )
    account_changed = _switch(
        _("account changes"),
        True,
        _("Email users when their password, email address, second factor or passkeys change."),
    )
    passkey_clone = _switch(
        _("copied passkey"), True, _("Email users when a passkey of theirs may have been copied.")
    )

    # --- To administrators -------------------------------------------------------------------
    admin_ip_throttled = _switch(
        _("IP throttled"),
        True,
        _("Alert when IP throttling starts refusing an address (at most once an hour per IP)."),
    )
    admin_breached_password = _switch(
        _("breached passwords"),
        True,
        _("Alert when a breached password is used, as often as chosen in Attack protection."),
    )
    admin_sift_decision = _switch(
        _("Sift decisions"),
        True,
        _(
            "Alert when a Sift decision webhook signs a user out, locks an account or requires "
            "a password reset."
        ),
    )
    admin_passkey_clone = _switch(
        _("copied passkeys"), True, _("Alert when a passkey may have been copied.")
    )
    admin_not_me = _switch(
        _("“This wasn't me” reports"),
        True,
        _("Alert when a user says a sign-in or a change was not theirs."),
    )
    alert_staff = _switch(
        _("alert staff with the permission"),
        True,
        _(
            "Active staff accounts with the permission “Can receive security alerts” (set in "
            "Users or Groups; superusers hold every permission)."
        ),
    )
    alert_addresses = models.TextField(
        _("also alert these addresses"),
        blank=True,
        help_text=_(
            "One email address per line (a shared mailbox, a ticket system). Default: none."
        ),
    )
    admin_frequency = models.CharField(
        _("administrator alerts"),
        max_length=12,
        choices=Frequency.choices,
        default=Frequency.IMMEDIATELY,
        help_text=_(
            "Immediately (at most once an hour per IP), or collected into a daily or weekly "
            "digest (needs celery beat). Breached passwords follow Attack protection's choice. "
            "Default: immediately."
        ),
    )

    class Meta:
        verbose_name = _("notification settings")
        verbose_name_plural = _("notification settings")
        permissions = [("receive_security_alerts", _("Can receive security alerts"))]

    def __str__(self):
        return str(_("Notification settings"))

    def clean(self):
        bad = [a for a in self.listed_addresses() if not _valid_email(a)]
        if bad:
            raise ValidationError(
                {"alert_addresses": _("Not an email address: %s") % ", ".join(bad[:3])}
            )

    def listed_addresses(self) -> list[str]:
        return [line.strip() for line in self.alert_addresses.splitlines() if line.strip()]

    def is_on(self, kind: str) -> bool:
        """Whether ``kind`` is sent at all (digests are on whenever their entries are)."""
        if kind == Kind.ADMIN_DIGEST:
            return True
        return bool(getattr(self, SWITCHES[kind]))


SWITCHES = {
    Kind.SUSPICIOUS_SIGN_IN: "suspicious_sign_in",
    Kind.BRUTE_FORCE_BLOCKED: "brute_force_blocked",
    Kind.BREACHED_PASSWORD: "breached_password",
    Kind.ACCOUNT_CHANGED: "account_changed",
    Kind.PASSKEY_CLONE: "passkey_clone",
    Kind.ADMIN_IP_THROTTLED: "admin_ip_throttled",
    Kind.ADMIN_BREACHED_PASSWORD: "admin_breached_password",
    Kind.ADMIN_SIFT_DECISION: "admin_sift_decision",
    Kind.ADMIN_PASSKEY_CLONE: "admin_passkey_clone",
    Kind.ADMIN_NOT_ME: "admin_not_me",
}


def _valid_email(address: str) -> bool:
    try:
        validate_email(address)
    except ValidationError:
        return False
    return True


class Notification(models.Model):
    """One email, written in the transaction of what it reports and sent by Celery after
    commit. ``idempotency_key`` is unique: the same event never makes two rows. A worker claims
    the row (``pending`` → ``sending``) with one conditional UPDATE before sending, so a task
    delivered twice sends once. Held rows wait for a digest and are never sent themselves."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENDING = "sending", _("Being sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        HELD = "held", _("Waiting for the digest")
        DIGESTED = "digested", _("Included in a digest")

    kind = models.CharField(_("kind"), max_length=40, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("The account the email is about."),
    )
    recipient = models.CharField(_("recipient"), max_length=254, blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    context = models.JSONField(_("details"), default=dict, blank=True)
    digest = models.CharField(
        _("digest"), max_length=12, choices=Frequency.choices, blank=True, default=""
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    link_used_at = models.DateTimeField(
        _("“This wasn't me” used"),
        null=True,
        blank=True,
        help_text=_("The single-use marker of the email's “This wasn't me” link."),
    )

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications (delivery log)")
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status__in=["pending", "sending"]),
                name="ciam_notify_due",
            ),
            models.Index(
                fields=["digest", "created_at"],
                condition=models.Q(status="held"),
                name="ciam_notify_held",
            ),
            models.Index(fields=["status", "created_at"], name="ciam_notify_status_time"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.created_at:%Y-%m-%d %H:%M}"
