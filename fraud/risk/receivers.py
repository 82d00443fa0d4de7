"""Receivers of the local risk engine: the login policies in the risk check, and forgetting
an account's failures once it signed in.

The failed-attempt counters of ``velocity`` are moved by attack protection
(``fraud.protection.gate.record_failure``), in the same cache round trip as the brute-force
and throttling counters of the failure; after a sign-in it forgets them with its own
(``gate.record_success``, connected first), and this module's receiver only when it did not.
"""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from ciam import signals as ciam_signals

from .policy import evaluate_login_policies
from .velocity import clear_account, take_spent

ciam_signals.risk_check_requested.connect(
    evaluate_login_policies, dispatch_uid="fraud.risk.login_policies"
)


@receiver(user_logged_in, dispatch_uid="fraud.risk.clear_failures")
def clear_spent_failures(sender, request, user, **kwargs):
    """The account got in: the failures that came before are spent. One cache round trip,
    only when the risk check saw failures (a denied or abandoned sign-in keeps them) and
    attack protection did not already forget them with its own counters."""
    identifiers = take_spent(request)
    if identifiers:
        clear_account(identifiers)
