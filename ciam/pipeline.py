"""Combine what the receivers of the login pipeline say."""

from __future__ import annotations

import logging

from django.http import HttpRequest

from . import signals
from .context import AuthenticationContext
from .verdicts import Refusal, Verdict, strictest

logger = logging.getLogger("ciam.pipeline")


def _sender(user):
    return type(user) if user is not None else None


def check_attempt(request: HttpRequest, flow: str, identifier: str) -> Refusal | None:
    """Ask the pre-authentication receivers; the first refusal stops the attempt.

    A receiver that raises is logged and ignored: a broken add-on must not lock everyone out.
    """
    responses = signals.authentication_attempted.send_robust(
        sender=None, request=request, flow=flow, identifier=identifier
    )
    for receiver, response in responses:
        if isinstance(response, Exception):
            logger.error(
                "authentication_attempted receiver %r failed",
                receiver,
                exc_info=(type(response), response, response.__traceback__),
            )
        elif isinstance(response, Refusal):
            signals.authentication_refused.send(
                sender=None, request=request, flow=flow, identifier=identifier, refusal=response
            )
            return response
    return None


def evaluate_risk(context: AuthenticationContext) -> Verdict:
    """Send the risk-check signal and return the verdict to enforce (the strictest one)."""
    verdicts: list[Verdict] = []
    responses = signals.risk_check_requested.send_robust(
        sender=_sender(context.user), context=context
    )
    for receiver, response in responses:
        if isinstance(response, Exception):
            logger.error(
                "risk_check_requested receiver %r failed; ignoring its opinion",
                receiver,
                exc_info=(type(response), response, response.__traceback__),
            )
        elif isinstance(response, Verdict):
            verdicts.append(response)
    verdict = strictest(verdicts)
    signals.risk_check_completed.send(
        sender=_sender(context.user), context=context, verdict=verdict, verdicts=verdicts
    )
    return verdict
