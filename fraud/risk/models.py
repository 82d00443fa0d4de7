"""Administrator settings of the local risk engine and its login policies."""

from __future__ import annotations

import ipaddress

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from ciam.singleton import SingletonModel


class Signal(models.TextChoices):
    """The signals the engine can raise, by stable key (stored on every security event)."""

    NEW_DEVICE = "new_device", _("New device")
    NEW_NETWORK = "new_network", _("New network")
    NEW_COUNTRY = "new_country", _("New country")
    IMPOSSIBLE_TRAVEL = "impossible_travel", _("Impossible travel")
    UNTRUSTED_IP = "untrusted_ip", _("Untrusted IP")
    ACCOUNT_FAILURES = "account_failures", _("Failed attempts on the account")
    IP_FAILURES = "ip_failures", _("Failed attempts from the IP")
    BREACHED_PASSWORD = "breached_password", _("Breached or weak password")
    BOT = "bot", _("Bot score")


def _weight(verbose_name, default, what):
    return models.FloatField(
        verbose_name,
        default=default,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text=_("Added to the score (0 to 1) when %(what)s. Default: %(default)s.")
        % {"what": what, "default": default},
    )


def _switch(verbose_name):
    return models.BooleanField(
        verbose_name,
        default=True,
        help_text=_("Off: the engine never raises this signal. Default: on."),
    )


class RiskSettings(SingletonModel):
    """Which signals the local risk engine raises and how much each weighs.

    The score of a sign-in is the sum of the weights of the signals raised, capped at 1.
    """

    new_device_enabled = _switch(_("new device"))
    new_device_weight = _weight(
        _("new device weight"),
        0.25,
        _("the browser was never used by this user, or not within the period below"),
    )
    new_device_days = models.PositiveSmallIntegerField(
        _("a device is new after (days)"),
        default=30,
        validators=[MinValueValidator(1)],
        help_text=_("A device not seen for this user for this long counts as new. Default: 30."),
    )
    new_network_enabled = _switch(_("new network"))
    new_network_weight = _weight(
        _("new network weight"),
        0.15,
        _("the /24 (IPv4) or /64 (IPv6) network was never used by this user to sign in"),
    )
    new_country_enabled = _switch(_("new country"))
    new_country_weight = _weight(
        _("new country weight"),
        0.25,
        _("the user never signed in from this country (needs a GeoIP database)"),
    )
    impossible_travel_enabled = _switch(_("impossible travel"))
    impossible_travel_weight = _weight(
        _("impossible travel weight"),
        0.3,
        _("the distance from the previous sign-in is too far for the time between them"),
    )
    impossible_travel_kmh = models.PositiveIntegerField(
        _("impossible above (km/h)"),
        default=1000,
        validators=[MinValueValidator(100)],
        help_text=_("Travel faster than this between two sign-ins is impossible. Default: 1000."),
    )
    untrusted_ip_enabled = _switch(_("untrusted IP"))
    untrusted_ip_weight = _weight(
        _("untrusted IP weight"), 1.0, _("the address is in a deny rule of the IP rules")
    )
    account_failures_enabled = _switch(_("failed attempts on the account"))
    account_failures_weight = _weight(
        _("account failures weight"),
        0.3,
        _("the account had at least the number of failed sign-ins below in the window"),
    )
    account_failures_threshold = models.PositiveSmallIntegerField(
        _("account failures threshold"),
        default=5,
        validators=[MinValueValidator(1)],
        help_text=_("Failed sign-ins on one account within the window. Default: 5."),
    )
    ip_failures_enabled = _switch(_("failed attempts from the IP"))
    ip_failures_weight = _weight(
        _("IP failures weight"),
        0.3,
        _("the address had at least the number of failed sign-ins below in the window"),
    )
    ip_failures_threshold = models.PositiveSmallIntegerField(
        _("IP failures threshold"),
        default=20,
        validators=[MinValueValidator(1)],
        help_text=_("Failed sign-ins from one IP, on any account, within the window. Default: 20."),
    )
    failures_window_minutes = models.PositiveSmallIntegerField(
        _("failed attempts window (minutes)"),
        default=15,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 60)],
        help_text=_("How long a failed sign-in is counted. Default: 15."),
    )
    breached_password_enabled = _switch(_("breached or weak password"))
    breached_password_weight = _weight(
        _("breached password weight"),
        0.5,
        _("the password used is known from a breach or too weak (set by attack protection)"),
    )
    bot_enabled = _switch(_("bot score"))
    bot_weight = _weight(
        _("bot score weight"),
        0.5,
        _("the request looks automated; multiplied by the bot score (set by bot detection)"),
    )

    class Meta:
        verbose_name = _("risk engine settings")
        verbose_name_plural = _("risk engine settings")

    def __str__(self):
        return str(_("Risk engine settings"))

    # IP rules and login policies are read with the settings row and share its process-local
    # cache (see ciam.singleton): saving a rule or a policy clears it.

    def ip_rules(self):
        """The compiled IP rules (``fraud.risk.ip_rules.IPRuleSet``)."""
        if not hasattr(self, "_ip_rules"):
            from .ip_rules import IPRuleSet

            self._ip_rules = IPRuleSet(IPRule.objects.all())
        return self._ip_rules

    def policies(self) -> list[LoginPolicy]:
        """The enabled login policies."""
        if not hasattr(self, "_policies"):
            self._policies = list(LoginPolicy.objects.filter(enabled=True))
        return self._policies


def _default_forced_signals():
    return [Signal.IMPOSSIBLE_TRAVEL.value]


class LoginPolicy(models.Model):
    """Turns the risk score of a sign-in into ALLOW, STEP_UP or DENY.

    Every enabled policy gives a verdict; the strictest enforced verdict of all receivers
    (Sift's included) wins. A policy in monitor mode is evaluated and recorded, not enforced.
    """

    name = models.CharField(
        _("name"), max_length=100, unique=True, help_text=_("Shown in the security event log.")
    )
    enabled = models.BooleanField(
        _("enabled"),
        default=True,
        help_text=_("Off: the policy is not evaluated, not even in monitor mode. Default: on."),
    )
    monitor = models.BooleanField(
        _("monitor mode"),
        default=False,
        help_text=_(
            "Record what this policy would have decided without enforcing it, to tune the "
            "thresholds on real traffic. Default: off."
        ),
    )
    deny_above = models.FloatField(
        _("deny above"),
        default=0.7,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text=_("A score above this denies the sign-in. Default: 0.7."),
    )
    step_up_above = models.FloatField(
        _("step up above"),
        default=0.5,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text=_("A score above this asks for a second factor. Default: 0.5."),
    )
    force_step_up_signals = models.JSONField(
        _("signals that always ask for a second factor"),
        default=_default_forced_signals,
        blank=True,
        help_text=_(
            "Whatever the score, these signals ask for a second factor, even on a device "
            "verified recently. Default: impossible travel."
        ),
    )

    class Meta:
        verbose_name = _("login policy")
        verbose_name_plural = _("login policies")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        RiskSettings.clear_cache()

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        RiskSettings.clear_cache()
        return result

    def clean(self):
        if self.step_up_above > self.deny_above:
            raise ValidationError(
                {"step_up_above": _("The step-up threshold cannot be above the deny threshold.")}
            )
        known = set(Signal.values)
        signals = self.force_step_up_signals or []
        if not isinstance(signals, list) or not set(signals) <= known:
            raise ValidationError(
                {"force_step_up_signals": _("Choose among: %s.") % ", ".join(sorted(known))}
            )


class IPRule(models.Model):
    """An address or range the administrator trusts (allow) or distrusts (deny).

    A deny rule raises the "untrusted IP" signal. An allow rule makes the local risk engine
    score the sign-in 0 (a trusted office network); a deny rule matching the same address wins.
    """

    class Action(models.TextChoices):
        ALLOW = "allow", _("Allow (trusted)")
        DENY = "deny", _("Deny (untrusted)")

    network = models.CharField(
        _("IP or CIDR range"),
        max_length=50,
        unique=True,
        help_text=_("IPv4 or IPv6: 203.0.113.7, 198.51.100.0/24, 2001:db8::/32."),
    )
    action = models.CharField(
        _("action"),
        max_length=5,
        choices=Action.choices,
        default=Action.DENY,
        help_text=_("Default: deny."),
    )
    note = models.CharField(
        _("note"),
        max_length=200,
        blank=True,
        help_text=_("Optional; shown in the risk explanation instead of the range."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("IP rule")
        verbose_name_plural = _("IP rules")
        ordering = ["action", "network"]

    def __str__(self):
        return f"{self.get_action_display()}: {self.network}"

    def save(self, *args, **kwargs):
        self.full_clean(exclude=["note"])
        super().save(*args, **kwargs)
        RiskSettings.clear_cache()

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        RiskSettings.clear_cache()
        return result

    def clean(self):
        address, slash, prefix = (self.network or "").strip().partition("/")
        # A zone id (fe80::1%eth0) names an interface of the server, not a client.
        address = address.split("%", 1)[0]
        try:
            parsed = ipaddress.ip_network(address + slash + prefix, strict=False)
        except ValueError:
            raise ValidationError(
                {"network": _("Enter an IPv4 or IPv6 address or a CIDR range.")}
            ) from None
        mapped = getattr(parsed.network_address, "ipv4_mapped", None)
        if mapped is not None and parsed.prefixlen >= 96:
            # Clients seen as ::ffff:a.b.c.d are matched as a.b.c.d (ciam.client_ip).
            parsed = ipaddress.ip_network(f"{mapped}/{parsed.prefixlen - 96}")
        # Stored normalised, so "10.1.2.3/8" and "10.0.0.0/8" are one rule.
        self.network = str(parsed)
