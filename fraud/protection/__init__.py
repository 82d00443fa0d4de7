"""Attack protection: bot detection with CAPTCHA, brute-force protection, suspicious IP
throttling and breached password detection, configured in ``AttackProtectionSettings``.

Entry points: ``receivers`` (connected in ``FraudConfig.ready``), ``signals`` (for the
notifications app), ``breached.BreachedPasswordValidator`` (``AUTH_PASSWORD_VALIDATORS``),
``{% ciam_bot_defence %}`` (the fields of the hosted forms) and the unblock link's view.
"""
