"""Receivers that write the security event log: Django's, allauth's and the suite's signals.

One sign-in attempt is one row: a failure (``login_failed``), a refusal before the password
check (``login_blocked``), or the end of a sign-in that passed the password (``login_succeeded``,
``login_denied``, ``step_up_requested``), carrying the risk check's score, signals and verdict.
"""

from __future__ import annotations

from allauth.account import signals as allauth_signals
from django.contrib.auth import signals as auth_signals
from django.dispatch import receiver

from ciam import signals as ciam_signals

from . import outcome as risk_outcome
from .models import EventType
from .recent_signins import recent_signins_section
from .record import record_event, typed_identifier

_REFUSED_TYPES = {
    "login": EventType.LOGIN_BLOCKED,
    "signup": EventType.SIGNUP_BLOCKED,
    "password_reset": EventType.PASSWORD_RESET_BLOCKED,
}


@receiver(ciam_signals.risk_check_completed, dispatch_uid="fraud.events.risk_check_completed")
def keep_risk_outcome(sender, context, verdict, verdicts, **kwargs):
    # Nothing is written yet: the row is written once the sign-in ends, with this on it.
    risk_outcome.stash(context.request, risk_outcome.build_outcome(context, verdict, verdicts))


@receiver(auth_signals.user_logged_in, dispatch_uid="fraud.events.user_logged_in")
def log_login_succeeded(sender, request, user, **kwargs):
    outcome = risk_outcome.take(request, user)
    fields = risk_outcome.event_fields(outcome)
    if outcome and outcome.get("verdict") == "step_up" and outcome.get("enforced"):
        # Not asked: verified recently on this device, a passkey sign-in, or the fallback
        # for users without a second factor let it through.
        fields["data"]["step_up_skipped"] = not outcome.get("step_up_asked")
    record_event(EventType.LOGIN_SUCCEEDED, request=request, user=user, **fields)


@receiver(auth_signals.user_login_failed, dispatch_uid="fraud.events.user_login_failed")
def log_login_failed(sender, credentials, request=None, **kwargs):
    record_event(
        EventType.LOGIN_FAILED,
        request=request,
        identifier=typed_identifier(credentials),
        reason="wrong credentials",
    )


@receiver(auth_signals.user_logged_out, dispatch_uid="fraud.events.user_logged_out")
def log_logout(sender, request, user, **kwargs):
    if user is not None:
        record_event(EventType.LOGOUT, request=request, user=user)


@receiver(ciam_signals.authentication_refused, dispatch_uid="fraud.events.refused")
def log_refusal(sender, request, flow, identifier, refusal, **kwargs):
    record_event(
        _REFUSED_TYPES.get(flow, EventType.LOGIN_BLOCKED),
        request=request,
        identifier=identifier,
        reason=refusal.code,
        data={
            "flow": flow,
            "source": refusal.source,
            "status": refusal.status,
            "retry_after": refusal.retry_after,
        },
    )


@receiver(ciam_signals.login_denied, dispatch_uid="fraud.events.login_denied")
def log_login_denied(sender, request, user, context, verdict, **kwargs):
    outcome = risk_outcome.take(request, user)
    fields = risk_outcome.event_fields(outcome)
    fields.setdefault("data", {})["denied_by"] = verdict.source
    if not outcome:
        fields.update(verdict="deny", policy=verdict.source)
    if verdict.reason:
        fields["reason"] = verdict.reason
    record_event(EventType.LOGIN_DENIED, request=request, user=user, **fields)


@receiver(ciam_signals.step_up_requested, dispatch_uid="fraud.events.step_up_requested")
def log_step_up_requested(sender, request, user, context, **kwargs):
    outcome = risk_outcome.take(request, user)
    if outcome:
        outcome["step_up_asked"] = True
    risk_outcome.keep_for_step_up(request, outcome)
    record_event(
        EventType.STEP_UP_REQUESTED,
        request=request,
        user=user,
        **risk_outcome.event_fields(outcome),
    )


@receiver(ciam_signals.step_up_completed, dispatch_uid="fraud.events.step_up_completed")
def log_step_up_completed(sender, request, user, method, succeeded, **kwargs):
    outcome = risk_outcome.take(request, user, keep_in_session=True)
    fields = risk_outcome.event_fields(outcome)
    fields.setdefault("data", {})["second_factor"] = method
    record_event(
        EventType.STEP_UP_PASSED if succeeded else EventType.STEP_UP_FAILED,
        request=request,
        user=user,
        **fields,
    )


@receiver(allauth_signals.user_signed_up, dispatch_uid="fraud.events.user_signed_up")
def log_signup(sender, request, user, **kwargs):
    record_event(EventType.SIGNUP, request=request, user=user)


@receiver(allauth_signals.password_changed, dispatch_uid="fraud.events.password_changed")
def log_password_changed(sender, request, user, **kwargs):
    record_event(EventType.PASSWORD_CHANGED, request=request, user=user)


@receiver(allauth_signals.password_set, dispatch_uid="fraud.events.password_set")
def log_password_set(sender, request, user, **kwargs):
    record_event(EventType.PASSWORD_CHANGED, request=request, user=user, data={"action": "set"})


@receiver(allauth_signals.password_reset, dispatch_uid="fraud.events.password_reset")
def log_password_reset(sender, request, user, **kwargs):
    record_event(EventType.PASSWORD_RESET, request=request, user=user)


@receiver(ciam_signals.mfa_device_changed, dispatch_uid="fraud.events.mfa_device_changed")
def log_mfa_change(sender, request, user, kind, action, **kwargs):
    record_event(
        EventType.PASSKEY_CHANGED if kind == "passkey" else EventType.MFA_CHANGED,
        request=request,
        user=user,
        data={"kind": kind, "action": action},
    )


@receiver(
    ciam_signals.account_security_sections_requested, dispatch_uid="fraud.events.recent_signins"
)
def add_recent_signins(sender, request, user, **kwargs):
    return recent_signins_section(user)
