"""Signals the risk engine takes from other parts of the suite.

The engine reads these keys of ``AuthenticationContext.signals`` when it scores a sign-in:

- ``"breached_password"``: truthy when the password just used is known from a breach or too
  weak (attack protection sets it). ``"breached_password_reason"``: optional words for the log.
- ``"bot_score"``: a float in [0, 1], how automated the request looks (bot detection sets it).
- ``"failure_counts"``: a ``fraud.risk.velocity.FailureCounts`` with its ``identifier`` set: the
  failed-attempt counters of the identifier typed and of the IP, read by attack protection with
  its own counters before the password check (one cache round trip for both). The engine uses
  them when they are for the identifier of the sign-in it scores; otherwise (a passkey or social
  sign-in, nothing typed) it reads the account's counters itself.

Code that runs before the context exists (a pre-authentication receiver, a form's ``clean``)
calls ``report_signal(request, name, value)``: the engine copies what was reported on the
request into the context before scoring. A value set on the context wins.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

BREACHED_PASSWORD = "breached_password"
BREACHED_PASSWORD_REASON = "breached_password_reason"
BOT_SCORE = "bot_score"
FAILURE_COUNTS = "failure_counts"

_REQUEST_ATTR = "ciam_risk_signals"


def report_signal(request: HttpRequest, name: str, value: Any) -> None:
    """Tell the risk engine something about this request's sign-in."""
    reported = getattr(request, _REQUEST_ATTR, None)
    if reported is None:
        reported = {}
        setattr(request, _REQUEST_ATTR, reported)
    reported[name] = value


def reported_signals(request: HttpRequest | None) -> dict[str, Any]:
    """What was reported on ``request`` (empty when nothing was)."""
    return dict(getattr(request, _REQUEST_ATTR, None) or {})
