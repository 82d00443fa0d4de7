"""The Sift policies of the login pipeline (a ``risk_check_requested`` receiver).

Risk score based: a score above the deny threshold denies, above the step-up threshold asks
for a second factor, else allows. Workflow based: the decision id of Sift's account-takeover
workflow is looked up in the administrator's lists. When Sift cannot answer, the
administrator's "when Sift cannot answer" choice applies. The call to Sift is this sign-in's
``$login`` event.
"""

from __future__ import annotations

from ciam.context import AuthenticationContext
from ciam.verdicts import Action, Verdict

from .functions import LoginStatus, ask_sift
from .models import SiftSettings

SOURCE = "sift"

_ACTIONS = {
    SiftSettings.Answer.ALLOW: Action.ALLOW,
    SiftSettings.Answer.STEP_UP: Action.STEP_UP,
    SiftSettings.Answer.DENY: Action.DENY,
}


def sift_policy(sender, context: AuthenticationContext, **kwargs) -> Verdict | None:
    """The verdict of the policy chosen in the admin; None when there is none."""
    sift_settings = SiftSettings.load()
    if not sift_settings.enabled or sift_settings.policy == SiftSettings.Policy.OFF:
        return None
    if sift_settings.policy == SiftSettings.Policy.WORKFLOW:
        answer = ask_sift(context, LoginStatus.LOGIN_SUCCESS, return_workflow=True)
        answer_kind, reason = _judge_decision(sift_settings, answer)
    else:
        answer = ask_sift(context, LoginStatus.LOGIN_SUCCESS, return_score=True)
        answer_kind, reason = _judge_score(sift_settings, answer)
    context.signals["sift"] = {
        "policy": sift_settings.policy,
        "score": answer.score,
        "decision": answer.decision,
        "error": answer.error,
    }
    action = _ACTIONS[answer_kind]
    return Verdict(
        action,
        source=SOURCE,
        reason=reason,
        score=answer.score,
        signals=("sift_error",) if answer.error else (),
        monitor=sift_settings.policy_monitor,
        # Blank unless the administrator wrote Sift-specific texts: the deny page then shows
        # the login settings' texts, as for any other denied sign-in.
        title=sift_settings.deny_title if action == Action.DENY else "",
        message=sift_settings.deny_message if action == Action.DENY else "",
        data={"sift_decision": answer.decision, "sift_error": answer.error},
    )


def _judge_score(sift_settings: SiftSettings, answer) -> tuple[str, str]:
    if answer.score is None:
        return sift_settings.on_error, f"Sift gave no score (-1): {answer.error}"
    score = answer.score
    if score > sift_settings.deny_threshold:
        return SiftSettings.Answer.DENY, f"Sift score {score:.2f} > {sift_settings.deny_threshold}"
    if score > sift_settings.step_up_threshold:
        return (
            SiftSettings.Answer.STEP_UP,
            f"Sift score {score:.2f} > {sift_settings.step_up_threshold}",
        )
    return SiftSettings.Answer.ALLOW, f"Sift score {score:.2f}"


def _judge_decision(sift_settings: SiftSettings, answer) -> tuple[str, str]:
    if answer.error:
        return sift_settings.on_error, f"Sift gave no decision: {answer.error}"
    if not answer.decision:
        return SiftSettings.Answer.ALLOW, "no Sift decision"
    return sift_settings.login_answer(answer.decision), f"Sift decision {answer.decision}"
