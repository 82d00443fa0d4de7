"""The conditional-authentication functions: ask Sift about a sign-in from a risk-check receiver.

    from fraud.sift import get_sift_risk_score_for_login, LoginStatus

    def my_policy(sender, context, **kwargs):
        score = get_sift_risk_score_for_login(context, LoginStatus.LOGIN_SUCCESS)
        ...

``additional_params`` is merged into the ``$login`` payload and overrides the defaults
(``$user_id``, ``$session_id``, ``$ip``, ``$user_agent``); an empty string for ``$ip``,
``$user_agent`` or ``$session_id`` removes that field; ``"loggingEnabled": True`` is not sent
but logs the masked payload and the result under ``ciam.fraud.sift``.

A call made for a sign-in stands for the ``$login`` event of that attempt: the
``user_logged_in`` publisher does not send another one.

None of them raises for Sift's sake or the caller's data: an answer of the wrong shape, or
``additional_params`` that cannot be sent as JSON, is an error like a timeout (-1, None,
False), logged under ``ciam.fraud.sift``; a Sift policy then applies the administrator's
"when Sift cannot answer" choice. Only an unknown ``login_status`` raises (``ValueError``).
"""

from __future__ import annotations

import enum
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

from ciam.context import AuthenticationContext

from . import outbox
from .breaker import CircuitBreaker
from .client import ABUSE_TYPE, SiftClient, SiftResponse
from .events import LOGIN, Origin, build_event
from .models import SiftSettings

logger = logging.getLogger("ciam.fraud.sift")

NO_SCORE = -1.0
LOGIN_SENT_KEY = "ciam.sift.login_sent"
# allauth keeps a pending sign-in (a step-up in progress) for 15 minutes at most.
LOGIN_SENT_TTL = 15 * 60
_REMOVABLE = {"$ip", "$session_id"}


class LoginStatus(enum.StrEnum):
    LOGIN_SUCCESS = "LOGIN_SUCCESS"
    LOGIN_FAILED = "LOGIN_FAILED"

    @property
    def sift_value(self) -> str:
        return "$success" if self is LoginStatus.LOGIN_SUCCESS else "$failure"


class Malformed(ValueError):
    """Sift's answer does not have the documented shape, or a payload cannot be sent as JSON."""


@dataclass(frozen=True)
class SiftAnswer:
    """What a synchronous ``$login`` call came to: a score, a decision, or an error."""

    score: float | None = None
    decision: str | None = None
    error: str = ""
    response: SiftResponse | None = None


def get_sift_risk_score_for_login(
    context: AuthenticationContext,
    login_status: LoginStatus | str,
    additional_params: dict[str, Any] | None = None,
) -> float:
    """Sift's account-takeover score of this sign-in, in [0, 1]; -1 on any error.

    Raises ``ValueError`` for a ``login_status`` other than LOGIN_SUCCESS / LOGIN_FAILED.
    """
    answer = ask_sift(context, login_status, additional_params, return_score=True)
    return answer.score if answer.score is not None else NO_SCORE


def get_sift_workflow_decision(
    context: AuthenticationContext,
    login_status: LoginStatus | str,
    additional_params: dict[str, Any] | None = None,
) -> str | None:
    """The decision id of Sift's account-takeover workflow for this session; None on any
    error or when the workflow made no decision."""
    return ask_sift(context, login_status, additional_params, return_workflow=True).decision


def publish_login_event_to_sift(
    context: AuthenticationContext,
    login_status: LoginStatus | str,
    additional_params: dict[str, Any] | None = None,
) -> bool:
    """Queue a ``$login`` event (delivered through the outbox, nothing is awaited).

    Returns False when Sift is off (no API key saved) or the event could not be queued
    (``additional_params`` that cannot be sent as JSON, any other error: logged).
    """
    status = LoginStatus(login_status)
    sift_settings = SiftSettings.load()
    if not sift_settings.enabled:
        return False
    try:
        payload, log = _login_payload(context, status, additional_params, sift_settings)
        outbox.enqueue(payload, user=context.user, log=log or sift_settings.log_payloads)
    except Malformed as exc:
        logger.warning("Sift $login not queued: %s", exc)
        return False
    except Exception:
        logger.exception("Sift $login not queued")
        return False
    mark_login_sent(context)
    return True


def ask_sift(
    context: AuthenticationContext,
    login_status: LoginStatus | str,
    additional_params: dict[str, Any] | None = None,
    *,
    return_score: bool = False,
    return_workflow: bool = False,
) -> SiftAnswer:
    """Send ``$login`` and wait for the answer, within the admin's timeouts, behind the
    circuit breaker. The call is recorded in the outbox (and delivered later if it failed).

    Never raises but for an unknown ``login_status``: every error, whether Sift's, the
    network's, a malformed answer or unsendable ``additional_params``, is ``answer.error``.
    """
    status = LoginStatus(login_status)
    log = False
    try:
        answer, log = _ask(context, status, additional_params, return_score, return_workflow)
    except Malformed as exc:
        answer = SiftAnswer(error=str(exc))
    except Exception as exc:
        # The "-1 / None on any error" contract: a policy must get an answer it can apply
        # the administrator's on_error choice to, not an exception its signal swallows.
        logger.exception("Sift $login call raised")
        answer = SiftAnswer(error=f"unexpected error ({type(exc).__name__})")
    if log:
        logger.info(
            "Sift $login answer: score=%s decision=%s%s",
            answer.score if answer.score is not None else NO_SCORE,
            answer.decision,
            f" error={answer.error}" if answer.error else "",
        )
    elif answer.error:
        logger.warning("Sift $login call failed: %s", answer.error)
    return answer


def _ask(context, status, additional_params, return_score, return_workflow):
    sift_settings = SiftSettings.load()
    if not sift_settings.enabled:
        return SiftAnswer(error="Sift is off: no API key is saved"), False
    payload, log = _login_payload(context, status, additional_params, sift_settings)
    breaker = CircuitBreaker()
    response = None
    if breaker.allow():
        client = SiftClient(
            sift_settings.api_key, (sift_settings.connect_timeout, sift_settings.read_timeout)
        )
        response = client.send_event(
            payload,
            return_score=return_score,
            return_workflow_status=return_workflow,
            log_payload=log or sift_settings.log_payloads,
        )
        breaker.record(not response.retryable)
    outbox.record_synchronous(payload, response, user=context.user)
    mark_login_sent(context)
    return _read_answer(response, return_score, return_workflow), log


def _login_payload(context, status: LoginStatus, additional_params, sift_settings):
    payload = build_event(
        LOGIN,
        sift_settings,
        user=context.user,
        identifier=context.identifier,
        origin=Origin.from_context(context),
        fields={"$login_status": status.sift_value},
    )
    log = apply_additional_params(payload, additional_params)
    try:
        # What the client and the outbox will do with it, checked before either runs, so
        # nothing is half sent or queued for ever. NaN and Infinity are not JSON either.
        json.dumps(payload, allow_nan=False)
    except (TypeError, ValueError, RecursionError) as exc:
        raise Malformed(f"additional_params cannot be sent as JSON: {exc}") from exc
    return payload, log


def apply_additional_params(payload: dict[str, Any], params: dict[str, Any] | None) -> bool:
    """Merge ``params`` into ``payload`` in place; returns whether logging was asked for."""
    params = dict(params or {})
    logging_enabled = params.pop("loggingEnabled", False)
    if isinstance(logging_enabled, str):
        logging_enabled = logging_enabled.strip().lower() in {"1", "true", "yes", "on"}
    for key, value in params.items():
        if key == "$user_agent":
            browser = dict(payload.get("$browser") or {})
            if value in ("", None):
                browser.pop("$user_agent", None)
            else:
                browser["$user_agent"] = str(value)
            if browser:
                payload["$browser"] = browser
            else:
                payload.pop("$browser", None)
        elif key in _REMOVABLE and value in ("", None):
            payload.pop(key, None)
        else:
            payload[key] = value
    return bool(logging_enabled)


def _read_answer(response: SiftResponse | None, want_score: bool, want_workflow: bool):
    if response is None:
        return SiftAnswer(error="circuit breaker open: Sift was not called")
    if not response.ok:
        return SiftAnswer(error=response.error, response=response)
    score_response = response.body.get("score_response")
    if not isinstance(score_response, dict):
        return SiftAnswer(error="Sift's answer has no score_response", response=response)
    status = score_response.get("status")
    if status != 0:
        message = str(score_response.get("error_message", ""))[:200]
        return SiftAnswer(error=f"score_response status {status}: {message}", response=response)
    score = _score(score_response) if want_score else None
    if want_score and score is None:
        return SiftAnswer(error="Sift's answer has no account_takeover score", response=response)
    try:
        decision = _decision(score_response) if want_workflow else None
    except Malformed as exc:
        return SiftAnswer(error=str(exc), response=response)
    return SiftAnswer(score=score, decision=decision, response=response)


def _score(score_response: dict) -> float | None:
    scores = score_response.get("scores")
    entry = scores.get(ABUSE_TYPE) if isinstance(scores, dict) else None
    score = entry.get("score") if isinstance(entry, dict) else None
    if isinstance(score, bool) or not isinstance(score, int | float) or not 0 <= score <= 1:
        return None
    return float(score)


def _decision(score_response: dict) -> str | None:
    """In the account-takeover workflow run on the session, the first decision of its history.

    Raises ``Malformed`` when a part of ``workflow_statuses`` has the wrong type.
    """
    for workflow in _field(score_response, "workflow_statuses", list):
        _expect(workflow, dict, "a workflow status")
        entity = _field(workflow, "entity", dict)
        if ABUSE_TYPE not in _field(workflow, "abuse_types", list):
            continue
        if entity.get("type") != "session":
            continue
        for step in _field(workflow, "history", list):
            _expect(step, dict, "a history entry")
            if step.get("app") == "decision":
                decision_id = _field(step, "config", dict).get("decision_id")
                return decision_id if isinstance(decision_id, str) and decision_id else None
        return None
    return None


def _field(container: dict, name: str, kind: type):
    """``container[name]``: an empty ``kind`` when missing or null; ``Malformed`` when it is of
    another type."""
    value = container.get(name)
    if value is None:
        return kind()
    return _expect(value, kind, name)


def _expect(value, kind: type, what: str):
    if not isinstance(value, kind):
        raise Malformed(
            f"malformed answer from Sift: {what} is a {type(value).__name__}, not a {kind.__name__}"
        )
    return value


def mark_login_sent(context: AuthenticationContext) -> None:
    """Remember that this sign-in's ``$login`` went to Sift, across the step-up redirect."""
    context.signals["sift.login_sent"] = True
    request, user = context.request, context.user
    session = getattr(request, "session", None)
    if session is not None and user is not None and user.pk is not None:
        session[LOGIN_SENT_KEY] = {"user": str(user.pk), "at": time.time()}


def forget_login_sent(request) -> None:
    """A new sign-in attempt starts: a mark left by an abandoned one no longer applies."""
    session = getattr(request, "session", None)
    if session is not None:
        session.pop(LOGIN_SENT_KEY, None)


def take_login_sent(request, user) -> bool:
    """True (once) when a Sift policy already sent the ``$login`` of this user's sign-in."""
    session = getattr(request, "session", None)
    if session is None or user is None:
        return False
    mark = session.pop(LOGIN_SENT_KEY, None)
    return bool(
        isinstance(mark, dict)
        and mark.get("user") == str(user.pk)
        and time.time() - float(mark.get("at", 0)) < LOGIN_SENT_TTL
    )
