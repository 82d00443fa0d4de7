"""What attack protection keeps in the database: brute-force blocks, throttled addresses and
the single-use markers of unblock links.

Counters live in the shared cache (see ``fraud.protection.counters``); these rows hold what must
survive a cache flush and what an administrator looks at: a block row written once, when the
threshold is crossed, and a row per throttled address, written at most once an hour.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Auth0's fixed duration: a block ends 30 days after the failure that caused it.
BLOCK_DAYS = 30


ACTIVE = Q(released_at__isnull=True)


class BlockQuerySet(models.QuerySet):
    def active(self, now=None):
        """Blocks in force: not released, not expired."""
        return self.filter(ACTIVE, expires_at__gt=now or timezone.now())


class BruteForceBlock(models.Model):
    """One identifier blocked from one IP (or from every IP, with account lockout).

    Written once, when the failure counter crosses the threshold; the counter in the cache is
    what sign-ins check. Releasing the row (admin, unblock link, password reset) clears the
    counter too.
    """

    class Release(models.TextChoices):
        ADMIN = "admin", _("Unblocked by an administrator")
        LINK = "link", _("Unblock link in the email")
        PASSWORD_RESET = "password_reset", _("Password reset or changed")

    identifier_hash = models.CharField(_("identifier (hashed)"), max_length=64)
    ip = models.GenericIPAddressField(_("IP address"))
    all_ips = models.BooleanField(
        _("every IP"), default=False, help_text=_("Account lockout: blocked from every IP.")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        # The block is about what was typed from where; it outlives the account.
        on_delete=models.SET_NULL,
        related_name="+",
    )
    failures = models.PositiveSmallIntegerField(_("failed sign-ins"), default=0)
    blocked_at = models.DateTimeField(_("blocked at"), default=timezone.now)
    last_failure_at = models.DateTimeField(_("last failure"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    release_reason = models.CharField(
        _("released by"), max_length=20, choices=Release.choices, blank=True
    )
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("released by (administrator)"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = BlockQuerySet.as_manager()

    class Meta:
        verbose_name = _("brute-force block")
        verbose_name_plural = _("brute-force blocks")
        ordering = ["-blocked_at"]
        indexes = [
            models.Index(fields=["identifier_hash", "ip"], condition=ACTIVE, name="ciam_bf_active"),
            models.Index(fields=["user"], condition=ACTIVE, name="ciam_bf_active_user"),
            models.Index(fields=["expires_at"], condition=ACTIVE, name="ciam_bf_active_expiry"),
        ]

    def __str__(self):
        where = _("every IP") if self.all_ips else self.ip
        return f"{self.identifier_hash[:12]}… · {where}"

    def save(self, *args, **kwargs):
        if self.expires_at is None:
            self.expires_at = self.last_failure_at + timedelta(days=BLOCK_DAYS)
        super().save(*args, **kwargs)

    @property
    def is_active(self) -> bool:
        return self.released_at is None and self.expires_at > timezone.now()


class ThrottleState(models.Model):
    """An address IP throttling refused, for the administrator's list.

    Written (or touched) at most once an hour per address and kind, when the administrators'
    alert fires; the live state (attempts left, when it lifts) is read from the cache.
    """

    class Kind(models.TextChoices):
        LOGIN = "login", _("Failed sign-ins")
        SIGNUP = "signup", _("Sign-ups")

    ip = models.GenericIPAddressField(_("IP address"))
    kind = models.CharField(_("limit"), max_length=10, choices=Kind.choices)
    first_throttled_at = models.DateTimeField(_("first throttled"), default=timezone.now)
    last_throttled_at = models.DateTimeField(_("last throttled"), default=timezone.now)

    class Meta:
        verbose_name = _("throttled IP")
        verbose_name_plural = _("throttled IPs")
        ordering = ["-last_throttled_at"]
        constraints = [
            models.UniqueConstraint(fields=["ip", "kind"], name="ciam_throttle_ip_kind"),
        ]

    def __str__(self):
        return f"{self.ip} · {self.get_kind_display()}"


def _new_token_id() -> str:
    return secrets.token_urlsafe(24)


class UnblockToken(models.Model):
    """The single-use marker of one unblock link, written when the link is used (the link
    itself is signed and expires; making one writes nothing)."""

    block = models.ForeignKey(
        BruteForceBlock, on_delete=models.CASCADE, related_name="unblock_tokens"
    )
    token_id = models.CharField(max_length=64, unique=True, default=_new_token_id)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("unblock link")
        verbose_name_plural = _("unblock links")

    def __str__(self):
        return f"{self.block_id} · {self.created_at:%Y-%m-%d %H:%M}"
