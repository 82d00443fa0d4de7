"""Login policies: the risk score of a sign-in, turned into ALLOW, STEP_UP or DENY.

``evaluate_login_policies`` is connected to ``ciam.signals.risk_check_requested``. It scores
the sign-in with the local engine, leaves the assessment in ``context.signals["risk"]`` for the
receivers that run after it (a site's own policy can read it), asks every enabled
``LoginPolicy``, leaves each policy's verdict in ``context.signals["policy_verdicts"]`` (the
event log records monitored ones too) and returns one verdict: the strictest enforced one, or
the strictest monitored one (``monitor=True``) when every policy is in monitor mode.
"""

from __future__ import annotations

from django.conf import settings as django_settings
from django.utils import translation
from django.utils.translation import gettext as _

from ciam.context import AuthenticationContext
from ciam.verdicts import Verdict

from .engine import CONTEXT_KEY, RiskAssessment, assess
from .models import LoginPolicy, RiskSettings, Signal

SOURCE = "risk_engine"
POLICY_VERDICTS_KEY = "policy_verdicts"


def decide(policy: LoginPolicy, assessment: RiskAssessment) -> Verdict:
    """What ``policy`` says of ``assessment``. A forced step-up carries ``data["force"]``, so
    it is asked even on a device verified recently."""
    score = assessment.score
    common = {
        "source": SOURCE,
        "score": score,
        "signals": assessment.keys,
        "monitor": policy.monitor,
    }
    if score > policy.deny_above:
        return Verdict.deny(
            reason=_("score %(score).2f above %(threshold).2f")
            % {"score": score, "threshold": policy.deny_above},
            data={"policy": policy.name},
            **common,
        )
    forcing = [key for key in assessment.keys if key in (policy.force_step_up_signals or [])]
    if forcing:
        labels = ", ".join(str(Signal(key).label) for key in forcing if key in Signal.values)
        return Verdict.step_up(
            reason=_("always asks for a second factor: %s") % labels,
            data={"policy": policy.name, "force": True},
            **common,
        )
    if score > policy.step_up_above:
        return Verdict.step_up(
            reason=_("score %(score).2f above %(threshold).2f")
            % {"score": score, "threshold": policy.step_up_above},
            data={"policy": policy.name},
            **common,
        )
    return Verdict.allow(reason=_("score %.2f") % score, data={"policy": policy.name}, **common)


def _combined(verdicts: list[Verdict]) -> Verdict | None:
    enforced = [v for v in verdicts if not v.monitor]
    pool = enforced or verdicts
    return max(pool, key=lambda v: v.action) if pool else None


def evaluate_login_policies(sender, context: AuthenticationContext, **kwargs) -> Verdict | None:
    """Receiver of ``risk_check_requested``: see the module docstring."""
    risk_settings = RiskSettings.load()
    assessment = assess(context, risk_settings)
    context.signals[CONTEXT_KEY] = assessment
    # Reasons are stored for administrators: in the site's language, not the user's.
    with translation.override(django_settings.LANGUAGE_CODE):
        verdicts = [decide(policy, assessment) for policy in risk_settings.policies()]
    context.signals[POLICY_VERDICTS_KEY] = verdicts
    return _combined(verdicts)
