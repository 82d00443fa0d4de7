"""The local risk engine (``engine.assess``) and the login policies that turn its score into a
verdict (``policy.evaluate_login_policies``, a receiver of ``risk_check_requested``)."""
