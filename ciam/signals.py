"""Signals of the login pipeline. Receivers live in each app's ``receivers.py``.

Every signal is sent with ``sender`` set to the user model class (or ``None`` when no user is
known yet).
"""

from django.dispatch import Signal

# Sent before credentials are checked, for login, sign-up and password reset attempts.
# Arguments: request, flow ("login" | "signup" | "password_reset"), identifier (str, as typed;
# may be empty). A receiver may return a ``ciam.verdicts.Refusal`` to stop the attempt.
authentication_attempted = Signal()

# Sent when a receiver of authentication_attempted refused the attempt.
# Arguments: request, flow, identifier, refusal (the ``ciam.verdicts.Refusal``).
authentication_refused = Signal()

# Sent once the credentials are good, before the session exists.
# Arguments: context (``ciam.context.AuthenticationContext``). A receiver returns a
# ``ciam.verdicts.Verdict`` (or None, meaning no opinion); the strictest enforced one wins.
risk_check_requested = Signal()

# Sent after the verdicts of one sign-in were combined.
# Arguments: context, verdict (the enforced one), verdicts (every verdict returned, including
# monitored ones).
risk_check_completed = Signal()

# Sent when a sign-in was refused by a DENY verdict, or by a STEP_UP the user could not meet.
# Arguments: request, user, context, verdict.
login_denied = Signal()

# Sent when a sign-in is asked for a second factor. Arguments: request, user, context.
step_up_requested = Signal()

# Sent after a second-factor check during sign-in.
# Arguments: request, user, method ("totp" | "backup_code" | "passkey"), succeeded (bool).
step_up_completed = Signal()

# Sent when a user adds or removes a second factor.
# Arguments: request, user, kind ("totp" | "backup_codes" | "passkey"), action ("added" |
# "removed").
mfa_device_changed = Signal()

# Sent to gather the sections of the Account security page.
# Arguments: request, user. A receiver returns a dict {"title", "template", "context",
# "order"} or None.
account_security_sections_requested = Signal()

# Sent to gather the second factors a user can step up with, besides django-otp's.
# Arguments: request, user. A receiver returns a dict {"key", "label", "template", "context",
# "order"} (lower order is offered first) or None.
step_up_methods_requested = Signal()

# Sent after a password reset email went to an existing account (allauth has no signal for
# the request, only for the completed reset). Arguments: request, user, email.
password_reset_requested = Signal()
