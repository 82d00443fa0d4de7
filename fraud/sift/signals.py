"""Signals of the Sift integration, for the notifications app (and any site receiver).

``sender`` is the user model class.
"""

from django.dispatch import Signal

# Sent when a decision webhook applied an action to a user of this site (never for "no
# action"), inside the transaction that records the decision.
# Arguments: decision (``fraud.sift.models.SiftDecision``), user, action (a
# ``SiftDecision.Action`` value: "sign_out", "lock" or "require_password_reset").
sift_decision_applied = Signal()
