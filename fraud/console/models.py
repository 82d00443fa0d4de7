"""Roll-ups of the security event log, so the Security Center reads thousands of rows rather
than millions.

Written only by the periodic task ``fraud.console.roll_up_security_events`` (never on the login
path, which only inserts events). An hour is rolled up once it is closed; the Security Center
adds a live count of the events after the last rolled-up hour.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class HourlyEventCount(models.Model):
    """How many events of one kind happened in one hour (UTC).

    ``metric`` is ``type:<event type>``, ``verdict:<allow|step_up|deny>:<enforced|monitored>``,
    ``sift:<0..9>`` (Sift scores in tenths) or ``events`` (every event; present, possibly 0,
    for every hour rolled up, which is how the task knows where it stopped).
    """

    hour = models.DateTimeField(_("hour"))
    metric = models.CharField(_("metric"), max_length=64)
    count = models.PositiveIntegerField(_("count"), default=0)

    class Meta:
        verbose_name = _("hourly event count")
        verbose_name_plural = _("hourly event counts")
        constraints = [
            models.UniqueConstraint(fields=["hour", "metric"], name="ciam_console_hour_metric")
        ]

    def __str__(self):
        return f"{self.hour:%Y-%m-%d %H:00} {self.metric}: {self.count}"


class DailyAttackSource(models.Model):
    """Attack events (failed or refused sign-ins, blocks, throttling...) of one UTC day from
    one address or network, or against one account (by the hash of the identifier typed).

    Only each day's busiest sources of each kind are kept (``rollup.SOURCES_PER_DAY``). The
    rows of the current day cover the day up to the last rolled-up hour.
    """

    class Kind(models.TextChoices):
        IP = "ip", _("IP address")
        NETWORK = "network", _("network")
        ACCOUNT = "account", _("account")

    day = models.DateTimeField(_("day"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    key = models.CharField(
        _("key"), max_length=64, help_text=_("The address, the network or the identifier hash.")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        # No constraint: a roll-up may name a user deleted meanwhile.
        db_constraint=False,
        related_name="+",
    )
    count = models.PositiveIntegerField(_("count"), default=0)

    class Meta:
        verbose_name = _("daily attack source")
        verbose_name_plural = _("daily attack sources")
        constraints = [
            models.UniqueConstraint(fields=["kind", "day", "key"], name="ciam_console_source_day")
        ]

    def __str__(self):
        return f"{self.day:%Y-%m-%d} {self.kind} {self.key}: {self.count}"
