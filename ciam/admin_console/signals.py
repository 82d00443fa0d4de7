"""Signals of the admin console. Receivers live in the apps that react to them (the security
event log in ``fraud.console.receivers``)."""

from django.dispatch import Signal

# Sent after an administrator added, changed or deleted a settings object in the admin.
# Arguments: request, user (the administrator), instance, action ("added" | "changed" |
# "deleted"), changes (a list of {"field", "label", "old", "new"}; secrets masked).
settings_changed = Signal()
