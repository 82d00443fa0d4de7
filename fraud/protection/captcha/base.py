"""The interface every CAPTCHA provider implements, and what a check answers."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from django.http import HttpRequest


class Outcome(enum.Enum):
    PASSED = "passed"
    FAILED = "failed"
    MISSING = "missing"  # no answer in the form: the widget was not shown or not solved
    UNAVAILABLE = "unavailable"  # the provider could not say: the outage choice applies


@dataclass(frozen=True)
class CaptchaResult:
    """What a provider said of one answer. ``reason`` is for the event log; ``score`` is
    reCAPTCHA v3's."""

    outcome: Outcome
    reason: str = ""
    score: float | None = None

    @property
    def passed(self) -> bool:
        return self.outcome is Outcome.PASSED


class CaptchaProvider:
    """One kind of CAPTCHA: a widget for the hosted forms and a server-side check.

    ``template`` renders the widget inside the form with ``widget_context``; ``verify`` reads
    the answer from ``request.POST`` and never raises.
    """

    key: str = ""
    template: str = ""

    def widget_context(self, request: HttpRequest, flow: str) -> dict:
        return {}

    def verify(self, request: HttpRequest, flow: str) -> CaptchaResult:
        raise NotImplementedError
