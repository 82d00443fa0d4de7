"""Second factors with django-otp: the step-up page of a sign-in, TOTP enrolment and backup
codes. ``views`` is the public surface (wired in ``ciam.urls``); the rest is internal."""
