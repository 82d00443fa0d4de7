"""The "Recent sign-ins" section of the Account security page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ciam.user_agents import describe_user_agent

from .models import EventType, SecurityEvent

SHOWN = 10
TEMPLATE = "ciam/_recent_signins.html"

# (label, badge tone) of each kind of row a user sees.
_OUTCOMES = {
    EventType.LOGIN_SUCCEEDED: (gettext_lazy("Signed in"), "success"),
    EventType.LOGIN_DENIED: (gettext_lazy("Blocked"), "danger"),
    EventType.STEP_UP_FAILED: (gettext_lazy("Second factor failed"), "warning"),
}


@dataclass(frozen=True)
class RecentSignIn:
    created_at: datetime
    ip: str
    device_label: str
    location: str
    outcome_label: str
    outcome_tone: str


def recent_signins(user, limit: int = SHOWN) -> list[RecentSignIn]:
    """The user's latest sign-ins, newest first (one indexed query)."""
    events = (
        SecurityEvent.objects.filter(user=user, type__in=list(_OUTCOMES))
        .order_by("-created_at")
        .only("created_at", "type", "ip", "user_agent", "data")[:limit]
    )
    rows = []
    for event in events:
        label, tone = _OUTCOMES[event.type]
        if (event.data or {}).get("step_up_skipped") is False:
            label = _("Signed in with a second factor")
        rows.append(
            RecentSignIn(
                created_at=event.created_at,
                ip=event.ip or "",
                device_label=describe_user_agent(event.user_agent),
                location=str((event.data or {}).get("location") or ""),
                outcome_label=str(label),
                outcome_tone=tone,
            )
        )
    return rows


def recent_signins_section(user) -> dict:
    return {
        "title": _("Recent sign-ins"),
        "description": _("If you don't recognise a sign-in, change your password."),
        "template": TEMPLATE,
        "context": {"events": recent_signins(user)},
        "order": 10,
    }
