"""Sift: the administrator's settings, the outbox of events and the decisions Sift sent back."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ciam.crypto import EncryptedTextField
from ciam.singleton import SingletonModel

DECISION_ID = re.compile(r"^[A-Za-z0-9_.\-]{1,100}$")


def _toggle(verbose_name, help_text):
    return models.BooleanField(verbose_name, default=False, help_text=help_text)


def _decision_ids(verbose_name, default, help_text):
    return models.TextField(verbose_name, blank=True, default=default, help_text=help_text)


def parse_decision_ids(text: str) -> list[str]:
    """Decision ids written one per line (commas and spaces also separate them)."""
    return [item for item in re.split(r"[\s,]+", text or "") if item]


class SiftSettings(SingletonModel):
    """Everything an administrator tunes about Sift. Sift is off until an API key is saved."""

    class Policy(models.TextChoices):
        OFF = "off", _("No Sift policy (publish events only)")
        RISK_SCORE = "risk_score", _("Risk score based")
        WORKFLOW = "workflow", _("Workflow based")

    class Answer(models.TextChoices):
        ALLOW = "allow", _("Allow the sign-in")
        STEP_UP = "step_up", _("Ask for a second factor")
        DENY = "deny", _("Deny the sign-in")

    api_key = EncryptedTextField(
        _("Sift API key"),
        blank=True,
        help_text=_(
            "The REST API key from the Sift console. Stored encrypted; shown masked. Default: "
            "empty, which turns Sift off."
        ),
    )
    account_id = EncryptedTextField(
        _("Sift account ID"),
        blank=True,
        help_text=_("Optional; needed only for Sift's Decisions API. Default: empty."),
    )
    webhook_key = EncryptedTextField(
        _("webhook signature key"),
        blank=True,
        help_text=_(
            "The key Sift signs decision webhooks with. Webhooks are refused while it is empty. "
            "Default: empty."
        ),
    )
    include_profile = _toggle(
        _("include user profile information"),
        _("Send the email address, name and E.164 phone number. Default: off."),
    )
    include_device = _toggle(
        _("include user device metadata"),
        _("Send the IP address and browser user agent. Default: off."),
    )
    publish_registrations = _toggle(
        _("registrations"), _("Publish $create_account when a user signs up. Default: off.")
    )
    publish_credential_updates = _toggle(
        _("credential updates"),
        _(
            "Publish $update_password when a password is changed or set, a reset is requested "
            "and a reset is done. Default: off."
        ),
    )
    publish_profile_updates = _toggle(
        _("user profile updates"),
        _("Publish $update_account when the email address or profile changes. Default: off."),
    )
    publish_logins = _toggle(
        _("logins"), _("Publish $login for every sign-in, succeeded or failed. Default: off.")
    )
    publish_logouts = _toggle(_("logouts"), _("Publish $logout. Default: off."))
    publish_verifications = _toggle(
        _("user verifications"),
        _(
            "Publish $verification when an email address is confirmed and when a second factor "
            "is asked for and checked. Default: off."
        ),
    )
    log_payloads = _toggle(
        _("log event payloads locally"),
        _(
            "Log every payload, masked, under the logger ciam.fraud.sift (for debugging). "
            "Default: off."
        ),
    )
    connect_timeout = models.FloatField(
        _("connect timeout (seconds)"),
        default=0.5,
        validators=[MinValueValidator(0.05), MaxValueValidator(10)],
        help_text=_("For calls to Sift made while a user signs in. Default: 0.5."),
    )
    read_timeout = models.FloatField(
        _("read timeout (seconds)"),
        default=1.5,
        validators=[MinValueValidator(0.05), MaxValueValidator(30)],
        help_text=_(
            "For calls to Sift made while a user signs in: a slow Sift never holds a sign-in "
            "longer than the connect and read timeouts together. Default: 1.5."
        ),
    )
    policy = models.CharField(
        _("Sift policy"),
        max_length=20,
        choices=Policy.choices,
        default=Policy.OFF,
        help_text=_(
            "Ask Sift during each sign-in and act on its answer. Default: no policy. The call "
            "stands for the $login event of the sign-in."
        ),
    )
    policy_monitor = _toggle(
        _("monitor only"),
        _(
            "Record what the policy would have done without enforcing it, to tune it on real "
            "traffic. Default: off."
        ),
    )
    deny_threshold = models.FloatField(
        _("deny above score"),
        default=0.7,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text=_("Risk score based: a score above this denies the sign-in. Default: 0.7."),
    )
    step_up_threshold = models.FloatField(
        _("step up above score"),
        default=0.5,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text=_("Risk score based: a score above this asks for a second factor. Default: 0.5."),
    )
    on_error = models.CharField(
        _("when Sift cannot answer"),
        max_length=10,
        choices=Answer.choices,
        default=Answer.ALLOW,
        help_text=_(
            "What to do when Sift gives no score (-1) or no decision because of an error: "
            "invalid key, network failure, timeout. Default: allow."
        ),
    )
    # Blank by default: a sign-in denied because of Sift shows the deny page of the login
    # settings (ciam.LoginSettings), like any other denied sign-in, unless these are filled in.
    deny_title = models.CharField(
        _("deny page title"),
        max_length=100,
        blank=True,
        help_text=_(
            "Title of the page shown when the Sift policy denies a sign-in. Default: empty, "
            "which uses the deny page title of the login settings."
        ),
    )
    deny_message = models.CharField(
        _("deny page message"),
        max_length=300,
        blank=True,
        help_text=_(
            "Message of the page shown when the Sift policy denies a sign-in. Default: empty, "
            "which uses the deny page message of the login settings."
        ),
    )
    deny_decision_ids = _decision_ids(
        _("decisions that deny"),
        "session_looks_bad_account_takeover",
        _(
            "Workflow based: Sift decision ids, one per line, that deny the sign-in. Default: "
            "session_looks_bad_account_takeover."
        ),
    )
    step_up_decision_ids = _decision_ids(
        _("decisions that step up"),
        "mfa_account_takeover",
        _(
            "Workflow based: decision ids that ask for a second factor. Default: "
            "mfa_account_takeover."
        ),
    )
    allow_decision_ids = _decision_ids(
        _("decisions that allow"),
        "",
        _(
            "Workflow based: decision ids that allow (any decision not listed allows too). "
            "Default: empty."
        ),
    )
    sign_out_decision_ids = _decision_ids(
        _("webhook: sign the user out everywhere"),
        "",
        _("Decision ids received by webhook that end every session of the user. Default: empty."),
    )
    lock_decision_ids = _decision_ids(
        _("webhook: lock the account"),
        "",
        _("Decision ids received by webhook that deactivate the account. Default: empty."),
    )
    password_reset_decision_ids = _decision_ids(
        _("webhook: require a password reset"),
        "",
        _(
            "Decision ids received by webhook that remove the password (which also ends every "
            "session): the user must reset it by email. Default: empty."
        ),
    )

    class Meta:
        verbose_name = _("Fraud detection (Sift)")
        verbose_name_plural = _("Fraud detection (Sift)")

    def __str__(self):
        return str(_("Fraud detection (Sift) settings"))

    @property
    def enabled(self) -> bool:
        """True once an API key is saved: nothing is sent before."""
        return bool(self.api_key)

    def publishes(self, toggle: str) -> bool:
        """Whether events of this toggle (``"logins"``, ``"logouts"``...) are published."""
        return self.enabled and getattr(self, f"publish_{toggle}")

    def login_answer(self, decision_id: str) -> str:
        """What the workflow policy does with a decision id (``Answer`` value)."""
        if decision_id in parse_decision_ids(self.deny_decision_ids):
            return self.Answer.DENY
        if decision_id in parse_decision_ids(self.step_up_decision_ids):
            return self.Answer.STEP_UP
        return self.Answer.ALLOW

    def webhook_action(self, decision_id: str) -> str:
        """The ``SiftDecision.Action`` an incoming decision id triggers."""
        if decision_id in parse_decision_ids(self.lock_decision_ids):
            return SiftDecision.Action.LOCK
        if decision_id in parse_decision_ids(self.password_reset_decision_ids):
            return SiftDecision.Action.REQUIRE_PASSWORD_RESET
        if decision_id in parse_decision_ids(self.sign_out_decision_ids):
            return SiftDecision.Action.SIGN_OUT
        return SiftDecision.Action.NONE

    def clean(self):
        errors = {}
        if self.step_up_threshold > self.deny_threshold:
            errors["step_up_threshold"] = _(
                "The step-up score must not be above the deny score (%(deny)s)."
            ) % {"deny": self.deny_threshold}
        login_lists = ("deny_decision_ids", "step_up_decision_ids", "allow_decision_ids")
        webhook_lists = (
            "sign_out_decision_ids",
            "lock_decision_ids",
            "password_reset_decision_ids",
        )
        for group in (login_lists, webhook_lists):
            seen: dict[str, str] = {}
            for name in group:
                for decision_id in parse_decision_ids(getattr(self, name)):
                    if not DECISION_ID.match(decision_id):
                        errors.setdefault(name, []).append(
                            _("%(id)s is not a Sift decision id (letters, digits, _ . - only).")
                            % {"id": decision_id[:100]}
                        )
                    elif seen.get(decision_id, name) != name:
                        errors.setdefault(name, []).append(
                            _("%(id)s is already listed in “%(other)s”.")
                            % {
                                "id": decision_id,
                                "other": self._meta.get_field(seen[decision_id]).verbose_name,
                            }
                        )
                    seen.setdefault(decision_id, name)
        if errors:
            raise ValidationError(errors)


class SiftOutbox(models.Model):
    """One Sift event, written in the transaction of what it reports and delivered after commit.

    The payload is stored without the API key (added when it is sent). ``synchronous`` rows
    record calls made on the login path by a policy; they are never delivered again.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    event_type = models.CharField(_("event"), max_length=40)
    payload = models.JSONField(_("payload"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    synchronous = models.BooleanField(
        _("sent during sign-in"),
        default=False,
        help_text=_("Sent by a Sift policy while the user signed in, with its answer awaited."),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    sift_user_id = models.CharField(_("Sift user id"), max_length=100, blank=True, db_index=True)
    sift_session_id = models.CharField(
        _("Sift session id"), max_length=100, blank=True, db_index=True
    )

    class Meta:
        verbose_name = _("Sift delivery")
        verbose_name_plural = _("Sift deliveries")
        ordering = ["-created_at"]
        indexes = [
            # The periodic task's two questions: which pending rows are due, which rows were
            # claimed by a worker that died. Partial, so they stay small as sent rows pile up.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="ciam_sift_outbox_due",
            ),
            models.Index(
                fields=["claimed_at"],
                condition=Q(status="sending"),
                name="ciam_sift_outbox_claimed",
            ),
            models.Index(fields=["status", "created_at"], name="ciam_sift_outbox_status"),
            models.Index(fields=["created_at"], name="ciam_sift_outbox_created"),
        ]

    def __str__(self):
        return f"{self.event_type} #{self.pk} ({self.get_status_display()})"


class SiftDecision(models.Model):
    """A decision Sift sent by webhook, and what was done about it."""

    class Action(models.TextChoices):
        NONE = "none", _("No action")
        SIGN_OUT = "sign_out", _("Signed out everywhere")
        LOCK = "lock", _("Account locked")
        REQUIRE_PASSWORD_RESET = "require_password_reset", _("Password reset required")

    received_at = models.DateTimeField(_("received"), default=timezone.now, db_index=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_id = models.CharField(_("decision"), max_length=100)
    entity_type = models.CharField(_("entity type"), max_length=20)
    entity_id = models.CharField(_("entity id"), max_length=200)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="ciam_sift_decisions",
    )
    action = models.CharField(
        _("action"), max_length=30, choices=Action.choices, default=Action.NONE
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    payload = models.JSONField(_("payload"), default=dict)

    class Meta:
        verbose_name = _("Sift decision")
        verbose_name_plural = _("Sift decisions")
        ordering = ["-received_at"]
        constraints = [
            # One delivery of a decision is applied; Sift's retries and replays are not.
            models.UniqueConstraint(
                fields=["decision_id", "entity_type", "entity_id", "decided_at"],
                name="ciam_sift_decision_once",
            ),
        ]

    def __str__(self):
        return f"{self.decision_id} → {self.entity_type} {self.entity_id[:12]}"

    @property
    def password_reset_required(self) -> bool:
        return self.action == self.Action.REQUIRE_PASSWORD_RESET
