"""What the login pipeline decides: values, not booleans."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

DEFAULT_DENY_TITLE = _("Login Restricted")
DEFAULT_DENY_MESSAGE = _("Your login attempt was identified as suspicious.")


class Action(enum.IntEnum):
    """Ordered from the most lenient to the strictest."""

    ALLOW = 0
    STEP_UP = 1
    DENY = 2


@dataclass(frozen=True)
class Verdict:
    """One receiver's opinion of a sign-in.

    ``monitor`` verdicts are recorded but never enforced, so administrators can try a policy
    on real traffic. ``status``, ``title`` and ``message`` shape the DENY page.
    """

    action: Action
    source: str = ""
    reason: str = ""
    score: float | None = None
    signals: tuple[str, ...] = ()
    monitor: bool = False
    status: int = 403
    title: str = ""
    message: str = ""
    data: dict = field(default_factory=dict, compare=False)

    @classmethod
    def allow(cls, **kwargs) -> Verdict:
        return cls(Action.ALLOW, **kwargs)

    @classmethod
    def step_up(cls, **kwargs) -> Verdict:
        return cls(Action.STEP_UP, **kwargs)

    @classmethod
    def deny(cls, **kwargs) -> Verdict:
        return cls(Action.DENY, **kwargs)


ALLOW = Verdict.allow(source="default")


def strictest(verdicts: Iterable[Verdict]) -> Verdict:
    """The enforced verdict: the strictest one not in monitor mode (ALLOW when there is none).

    Among equally strict verdicts the first one wins, so receivers connected earlier (the
    suite's own) give the message.
    """
    enforced = [v for v in verdicts if not v.monitor]
    if not enforced:
        return ALLOW
    return max(enforced, key=lambda v: v.action)


@dataclass(frozen=True)
class Refusal:
    """A refusal before the credentials are checked (throttling, brute-force block, CAPTCHA).

    The message must not reveal whether the account exists.
    """

    message: str
    status: int = 429
    code: str = "refused"
    retry_after: int | None = None
    source: str = ""
