"""Signals to Sift events: each receiver writes one outbox row when its toggle is on.

Disabled toggles and a missing API key mean no row, no task, no request. The Sift policy
(``policy.sift_policy``) is connected here too.
"""

from __future__ import annotations

from allauth.account import signals as allauth_signals
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from ciam import signals as ciam_signals

from . import events, outbox
from .events import Origin, build_event
from .functions import forget_login_sent, take_login_sent
from .models import SiftSettings
from .policy import sift_policy

# Toggle names of SiftSettings (publish_<toggle>).
REGISTRATIONS = "registrations"
CREDENTIAL_UPDATES = "credential_updates"
PROFILE_UPDATES = "profile_updates"
LOGINS = "logins"
LOGOUTS = "logouts"
VERIFICATIONS = "verifications"

VERIFICATION_TYPES = {"totp": "$app_tfa", "passkey": "$security_key"}


def publish(
    toggle: str,
    event_type: str,
    request,
    user=None,
    *,
    identifier: str = "",
    fields: dict | None = None,
    new_session_id: bool = True,
):
    """Write the event's outbox row if ``toggle`` is on; returns the row or None."""
    sift_settings = SiftSettings.load()
    if not sift_settings.publishes(toggle):
        return None
    origin = Origin.from_request(request, new_session_id=new_session_id)
    if event_type == events.VERIFICATION and not origin.session_id:
        return None  # Sift requires $session_id on $verification.
    payload = build_event(
        event_type, sift_settings, user=user, identifier=identifier, origin=origin, fields=fields
    )
    return outbox.enqueue(payload, user=user, log=sift_settings.log_payloads)


@receiver(allauth_signals.user_signed_up, dispatch_uid="fraud.sift.create_account")
def on_signed_up(sender, request, user, **kwargs):
    publish(REGISTRATIONS, events.CREATE_ACCOUNT, request, user)


@receiver(ciam_signals.authentication_attempted, dispatch_uid="fraud.sift.attempt_started")
def on_attempt_started(sender, request, flow, **kwargs):
    if flow == "login" and SiftSettings.load().enabled:
        forget_login_sent(request)


@receiver(user_logged_in, dispatch_uid="fraud.sift.login_success")
def on_logged_in(sender, request, user, **kwargs):
    if take_login_sent(request, user):
        return  # The Sift policy's call was this sign-in's $login.
    publish(LOGINS, events.LOGIN, request, user, fields={"$login_status": "$success"})


@receiver(user_login_failed, dispatch_uid="fraud.sift.login_failure")
def on_login_failed(sender, credentials, request=None, **kwargs):
    if not SiftSettings.load().publishes(LOGINS):
        return
    identifier = str(credentials.get("email") or credentials.get("username") or "")[:254]
    user = find_account(identifier)
    if user is None:
        reason = "$account_unknown"
    elif not user.is_active:
        reason = "$account_disabled"
    else:
        reason = "$wrong_password"
    publish(
        LOGINS,
        events.LOGIN,
        request,
        user,
        identifier=identifier,
        fields={"$login_status": "$failure", "$failure_reason": reason},
        # A bot's cookieless attempts must not each create a session row.
        new_session_id=False,
    )


def find_account(identifier: str):
    """The account a typed identifier (username or email) names, or None."""
    if not identifier:
        return None
    User = get_user_model()
    lookup = {f"{User.USERNAME_FIELD}__iexact": identifier}
    user = User._default_manager.filter(**lookup).first()
    if user is None and "@" in identifier:
        from allauth.account.models import EmailAddress

        address = EmailAddress.objects.filter(email__iexact=identifier).select_related("user")
        found = address.first()
        user = found.user if found else None
    return user


@receiver(user_logged_out, dispatch_uid="fraud.sift.logout")
def on_logged_out(sender, request, user, **kwargs):
    if user is not None and user.is_authenticated:
        publish(LOGOUTS, events.LOGOUT, request, user)


def _password_event(reason: str, status: str):
    def on_password_event(sender, request, user, **kwargs):
        publish(
            CREDENTIAL_UPDATES,
            events.UPDATE_PASSWORD,
            request,
            user,
            fields={"$reason": reason, "$status": status},
        )

    return on_password_event


on_password_changed = _password_event("$user_update", "$success")
on_password_reset_requested = _password_event("$forgot_password", "$pending")
on_password_reset = _password_event("$forgot_password", "$success")
allauth_signals.password_changed.connect(
    on_password_changed, dispatch_uid="fraud.sift.password_changed"
)
allauth_signals.password_set.connect(on_password_changed, dispatch_uid="fraud.sift.password_set")
allauth_signals.password_reset.connect(on_password_reset, dispatch_uid="fraud.sift.password_reset")
ciam_signals.password_reset_requested.connect(
    on_password_reset_requested, dispatch_uid="fraud.sift.password_reset_requested"
)


@receiver(allauth_signals.email_changed, dispatch_uid="fraud.sift.email_changed")
def on_email_changed(sender, request, user, **kwargs):
    publish(PROFILE_UPDATES, events.UPDATE_ACCOUNT, request, user)


@receiver(allauth_signals.email_confirmed, dispatch_uid="fraud.sift.email_confirmed")
def on_email_confirmed(sender, request, email_address, **kwargs):
    sift_settings = SiftSettings.load()
    if not sift_settings.publishes(VERIFICATIONS):
        return
    user = email_address.user
    # The first address of an account verifies the sign-up; a later one, an account update.
    first = user.emailaddress_set.count() <= 1
    fields = {
        "$status": "$success",
        "$verification_type": "$email",
        "$verified_event": events.CREATE_ACCOUNT if first else events.UPDATE_ACCOUNT,
    }
    if sift_settings.include_profile:
        fields["$verified_value"] = email_address.email
    publish(VERIFICATIONS, events.VERIFICATION, request, user, fields=fields)


@receiver(ciam_signals.step_up_requested, dispatch_uid="fraud.sift.step_up_requested")
def on_step_up_requested(sender, request, user, **kwargs):
    fields = {"$status": "$pending", "$verified_event": events.LOGIN}
    publish(VERIFICATIONS, events.VERIFICATION, request, user, fields=fields)


@receiver(ciam_signals.step_up_completed, dispatch_uid="fraud.sift.step_up_completed")
def on_step_up_completed(sender, request, user, method, succeeded, **kwargs):
    fields = {
        "$status": "$success" if succeeded else "$failure",
        "$verified_event": events.LOGIN,
    }
    if method in VERIFICATION_TYPES:
        fields["$verification_type"] = VERIFICATION_TYPES[method]
    publish(VERIFICATIONS, events.VERIFICATION, request, user, fields=fields)


ciam_signals.risk_check_requested.connect(sift_policy, dispatch_uid="fraud.sift.policy")
