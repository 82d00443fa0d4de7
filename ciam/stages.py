"""allauth login stages: the risk check and the step-up it may ask for."""

from __future__ import annotations

from allauth.account.internal.flows.login import get_authentication_records
from allauth.account.stages import LoginStage
from allauth.core.internal.httpkit import headed_redirect_response

from . import signals
from .context import AuthenticationContext
from .device import device_hash, get_device_id
from .models import KnownDevice, LoginSettings
from .pipeline import evaluate_risk
from .responses import deny_response
from .step_up import available_step_up_methods
from .verdicts import Action, Verdict

STEP_UP_STATE = "ciam.step_up"

_METHODS = {"socialaccount": "social", "passkey": "passkey", "webauthn": "passkey"}


def login_method(request, user) -> tuple[str, str]:
    """How the user proved who they are in this sign-in, and the identifier they typed."""
    records = get_authentication_records(request, user)
    if not records:
        return "password", ""
    last = records[-1]
    method = last.get("type") if last.get("method") == "mfa" else last.get("method")
    identifier = last.get("email") or last.get("username") or ""
    return _METHODS.get(method, method or "password"), identifier


class RiskCheckStage(LoginStage):
    """Sends ``risk_check_requested`` and enforces the strictest verdict before the session
    exists: DENY ends the sign-in here, STEP_UP hands over to ``StepUpStage``."""

    key = "ciam_risk_check"

    def handle(self):
        user = self.login.user
        if user is None or self.login.signup:
            # A brand-new account has no history to judge; sign-up has its own bot defences.
            return None, True
        method, identifier = login_method(self.request, user)
        context = AuthenticationContext.from_request(self.request, user, method, identifier)
        verdict = evaluate_risk(context)
        if verdict.action == Action.DENY:
            signals.login_denied.send(
                sender=type(user), request=self.request, user=user, context=context, verdict=verdict
            )
            return deny_response(self.request, verdict), False
        if verdict.action == Action.STEP_UP:
            self.login.state[STEP_UP_STATE] = {
                "source": verdict.source,
                "reason": verdict.reason,
                "method": method,
                # A forced step-up ignores "recently verified on this device".
                "force": bool(verdict.data.get("force")),
            }
        return None, True


class StepUpStage(LoginStage):
    """Asks for a second factor when the risk check said STEP_UP."""

    key = "ciam_step_up"
    urlname = "ciam:step_up"

    def handle(self):
        pending = self.login.state.get(STEP_UP_STATE)
        user = self.login.user
        if not pending or user is None:
            return None, True
        if pending.get("method") == "passkey":
            # A passkey with user verification already is two factors.
            return None, True
        login_settings = LoginSettings.load()
        if not pending.get("force") and self._recently_verified(user, login_settings):
            return None, True
        if not available_step_up_methods(self.request, user):
            if login_settings.step_up_fallback == LoginSettings.StepUpFallback.ALLOW:
                return None, True
            verdict = Verdict.deny(source="step_up", reason="no second factor enrolled")
            context = AuthenticationContext.from_request(self.request, user, pending["method"])
            signals.login_denied.send(
                sender=type(user), request=self.request, user=user, context=context, verdict=verdict
            )
            return deny_response(self.request, verdict), False
        context = AuthenticationContext.from_request(self.request, user, pending["method"])
        signals.step_up_requested.send(
            sender=type(user), request=self.request, user=user, context=context
        )
        return headed_redirect_response(self.urlname), True

    def _recently_verified(self, user, login_settings) -> bool:
        hours = login_settings.step_up_remember_hours
        if not hours:
            return False
        known = KnownDevice.objects.filter(
            user=user, device_hash=device_hash(get_device_id(self.request))
        ).first()
        return bool(known and known.recently_verified(hours))
