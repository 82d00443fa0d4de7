"""The site-policy example of docs/risk-engine.md runs as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

from ciam import signals as ciam_signals
from tests.fraud.conftest import EventType, last_event

DOC = Path(__file__).resolve().parents[2] / "docs" / "risk-engine.md"


def site_policy_example() -> str:
    text = DOC.read_text()
    section = text[text.index("### A site's own policy, calling Sift") :]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


@pytest.mark.django_db
def test_the_example_steps_up_when_sift_cannot_answer(user, sign_in):
    code = site_policy_example()
    assert len(code.strip().splitlines()) <= 15
    namespace: dict = {}
    exec(compile(code, str(DOC), "exec"), namespace)  # noqa: S102
    try:
        # Sift is off (no API key): the score is -1, the example steps up, and a user without
        # a second factor is denied by the default fallback.
        response = sign_in(Client(), "203.0.113.5")
        assert response.status_code == 403
        event = last_event()
        assert event.type == EventType.LOGIN_DENIED
        assert (event.verdict, event.policy, event.reason) == (
            "step_up",
            "mysite",
            "no second factor enrolled",
        )
    finally:
        ciam_signals.risk_check_requested.disconnect(dispatch_uid="mysite.sift_policy")
