"""What the risk check of a sign-in decided, kept until its security event is written.

The risk check runs before the session exists; the event is written when the sign-in ends
(``user_logged_in``, ``login_denied``, ``step_up_requested``), so a successful sign-in costs one
insert with everything on it. The outcome rides on the request, and in the session across the
step-up pages.
"""

from __future__ import annotations

from ciam.verdicts import Action, Verdict

REQUEST_ATTR = "ciam_fraud_risk_outcome"
SESSION_KEY = "ciam.fraud.risk_outcome"

_VERDICT_NAMES = {Action.ALLOW: "allow", Action.STEP_UP: "step_up", Action.DENY: "deny"}


def _policy_name(verdict: Verdict) -> str:
    return str(verdict.data.get("policy") or verdict.source or "")


def _describe(verdict: Verdict) -> dict:
    return {
        "source": verdict.source,
        "policy": _policy_name(verdict),
        "action": _VERDICT_NAMES[verdict.action],
        "score": verdict.score,
        "monitor": verdict.monitor,
        "reason": verdict.reason,
    }


def build_outcome(context, verdict: Verdict, verdicts: list[Verdict]) -> dict:
    """A JSON-ready summary of one risk check.

    The recorded verdict is the enforced one when it is stricter than ALLOW; otherwise the
    strictest monitored one (``enforced`` False: what monitor mode would have done); otherwise
    ALLOW, or no verdict at all when no receiver had an opinion.
    """
    from ..risk.engine import CONTEXT_KEY
    from ..risk.policy import POLICY_VERDICTS_KEY

    # Every opinion: each receiver's, and each login policy's (the engine returns only one).
    candidates: list[Verdict] = []
    for v in [*verdicts, *context.signals.get(POLICY_VERDICTS_KEY, [])]:
        if not any(v is seen for seen in candidates):
            candidates.append(v)
    monitored = [v for v in candidates if v.monitor and v.action > Action.ALLOW]
    if verdict.action > Action.ALLOW:
        chosen, enforced = verdict, True
    elif monitored:
        chosen, enforced = max(monitored, key=lambda v: v.action), False
    elif candidates:
        enforced_allows = [v for v in candidates if not v.monitor]
        chosen = enforced_allows[0] if enforced_allows else candidates[0]
        enforced = bool(enforced_allows)
    else:
        chosen, enforced = None, True
    assessment = context.signals.get(CONTEXT_KEY)
    score = assessment.score if assessment is not None else getattr(chosen, "score", None)
    return {
        "user_id": getattr(context.user, "pk", None),
        "method": context.method,
        "identifier": context.identifier,
        "score": score,
        "signals": assessment.signals_as_dicts() if assessment is not None else [],
        "verdict": _VERDICT_NAMES[chosen.action] if chosen else "",
        "policy": _policy_name(chosen) if chosen else "",
        "enforced": enforced,
        "reason": chosen.reason if chosen else "",
        "verdicts": [_describe(v) for v in candidates],
    }


def event_fields(outcome: dict | None) -> dict:
    """Keyword arguments of ``record_event`` taken from an outcome."""
    if not outcome:
        return {}
    data = {"method": outcome.get("method"), "verdicts": outcome.get("verdicts", [])}
    return {
        "identifier": outcome.get("identifier") or "",
        "score": outcome.get("score"),
        "signals": outcome.get("signals") or [],
        "verdict": outcome.get("verdict") or "",
        "policy": outcome.get("policy") or "",
        "enforced": outcome.get("enforced", True),
        "reason": outcome.get("reason") or "",
        "data": data,
    }


def stash(request, outcome: dict) -> None:
    if request is not None:
        setattr(request, REQUEST_ATTR, outcome)


def take(request, user, *, keep_in_session: bool = False) -> dict | None:
    """The outcome of ``user``'s sign-in: from this request, else from the session (after a
    step-up). The session copy is removed unless ``keep_in_session``; one left behind by an
    abandoned sign-in of another account is ignored."""
    if request is None:
        return None
    outcome = getattr(request, REQUEST_ATTR, None)
    session = getattr(request, "session", None)
    saved = None
    if session is not None and SESSION_KEY in session:
        saved = session[SESSION_KEY] if keep_in_session else session.pop(SESSION_KEY)
    outcome = outcome or saved
    if outcome and outcome.get("user_id") != getattr(user, "pk", None):
        return None
    return outcome


def keep_for_step_up(request, outcome: dict | None) -> None:
    """Carry the outcome to the pages of the step-up (another request)."""
    session = getattr(request, "session", None)
    if outcome and session is not None:
        session[SESSION_KEY] = outcome
