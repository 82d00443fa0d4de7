"""Sift fraud detection: the conditional-authentication functions a site's own policy can call.

    from fraud.sift import (
        AuthenticationContext, LoginStatus, get_sift_risk_score_for_login,
        get_sift_workflow_decision, publish_login_event_to_sift,
    )

Names are resolved on first use, so importing a light module of this package (masking,
schedule) does not load Django models.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

__all__ = [
    "AuthenticationContext",
    "LoginStatus",
    "get_sift_risk_score_for_login",
    "get_sift_workflow_decision",
    "publish_login_event_to_sift",
]

_HOMES = {
    "AuthenticationContext": "ciam.context",
    "LoginStatus": "fraud.sift.functions",
    "get_sift_risk_score_for_login": "fraud.sift.functions",
    "get_sift_workflow_decision": "fraud.sift.functions",
    "publish_login_event_to_sift": "fraud.sift.functions",
}

if TYPE_CHECKING:  # pragma: no cover
    from ciam.context import AuthenticationContext
    from fraud.sift.functions import (
        LoginStatus,
        get_sift_risk_score_for_login,
        get_sift_workflow_decision,
        publish_login_event_to_sift,
    )


def __getattr__(name: str):
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted([*globals(), *__all__])
