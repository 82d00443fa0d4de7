"""Signals of attack protection, for the notifications app (and any site receiver).

Attack protection sends no email itself: it decides, records a security event, and sends one of
these. Each is already rate-limited as documented, so a receiver may email on every one.
``sender`` is the user model class, or None when no account is known.
"""

from django.dispatch import Signal

# Sent when brute-force protection blocks an identifier from an IP (or from every IP, with
# account lockout), and again at most once an hour per identifier and IP while blocked
# attempts keep coming (Auth0's cadence: one email an hour, whatever the number of attempts).
# Arguments:
#   request: the attempt's request
#   user: the account the identifier names, or None (then there is nobody to email)
#   identifier: what was typed (str)
#   ip: the address the failures came from (str); for IPv6 the first address of its /64,
#       which the block covers (see ``fraud.protection.counters.counted_address``)
#   block: the ``fraud.protection.models.BruteForceBlock``
#   all_ips: bool, True with account lockout
#   notify_user: bool, the administrator's "email the user" switch
#   unblock_url: absolute, signed, single-use link that lifts this block (expires after
#       ``fraud.protection.unblock.LINK_MAX_AGE`` seconds); "" when user is None or
#       notify_user is off
brute_force_blocked = Signal()

# Sent when a brute-force block ends early.
# Arguments: block, reason ("admin" | "link" | "password_reset"), user (the account or None),
# request (or None).
brute_force_unblocked = Signal()

# Sent when IP throttling starts refusing an address, at most once an hour per IP and kind.
# Arguments:
#   request: the refused request
#   ip: str
#   kind: "login" (failed sign-ins across accounts) | "signup"
#   retry_after: seconds until the address may try again (int)
#   notify_admins: bool, the administrator's "alert administrators" switch
ip_throttled = Signal()

# Sent when a password known from a breach (or too common, or starting with the test prefix)
# was used to sign in, at most once an hour per user.
# Arguments:
#   request, user
#   flow: "login"
#   reason: words for the email/log ("found in 3,861 breaches", "too common", "test prefix")
#   blocked: bool, whether the sign-in was refused until the password is reset
#   reset_url: absolute URL of the password reset page
#   notify_user: bool
#   notify_admins: bool
#   admin_frequency: "immediately" | "daily" | "weekly" (a digest is the receiver's job)
breached_password_detected = Signal()
