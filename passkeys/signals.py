"""Signals of the passkeys app. Receivers live in other apps (the security event log,
notifications); this app sends them.

Every signal is sent with ``sender`` set to the user model class.
"""

from django.dispatch import Signal

# Sent when a passkey answered with a valid signature but a sign count that did not move
# forward: the key may have been copied. The sign-in was refused.
# Arguments: request, user, passkey (``passkeys.models.Passkey``), stored_sign_count (int),
# received_sign_count (int).
passkey_clone_suspected = Signal()
