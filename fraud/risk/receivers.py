"""Receivers of the local risk engine: the login policies in the risk check, and the
failed-attempt counters."""

from __future__ import annotations

from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver

from ciam import signals as ciam_signals
from ciam.client_ip import get_client_ip

from ..events.record import typed_identifier
from .models import RiskSettings
from .policy import evaluate_login_policies
from .velocity import FailureCounters

ciam_signals.risk_check_requested.connect(
    evaluate_login_policies, dispatch_uid="fraud.risk.login_policies"
)


@receiver(user_login_failed, dispatch_uid="fraud.risk.count_failure")
def count_failure(sender, credentials, request=None, **kwargs):
    risk_settings = RiskSettings.load()
    if not (risk_settings.account_failures_enabled or risk_settings.ip_failures_enabled):
        return
    ip = get_client_ip(request) if request is not None else None
    counters = FailureCounters(risk_settings.failures_window_minutes * 60)
    counters.record_failure(typed_identifier(credentials), ip)
