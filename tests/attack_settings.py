"""Settings of the server process the attack test drives: the reference site, plus what a
test run needs (a fast password hasher, admin settings re-read on every request)."""

from config.settings import *  # noqa: F403

# Hundreds of sign-ins: PBKDF2's deliberate slowness is not what the attack test is about.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The test changes the admin settings between phases; the server sees them at once.
CIAM_SETTINGS_CACHE_SECONDS = 0
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
