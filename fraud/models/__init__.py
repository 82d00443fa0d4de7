"""Models of the fraud app, defined in its sub-packages and registered here (one import line
per sub-package)."""

from fraud.console.models import DailyAttackSource, HourlyEventCount  # noqa: F401
from fraud.events.models import EventLogSettings, SecurityEvent  # noqa: F401
from fraud.protection.models import (  # noqa: F401
    AttackProtectionSettings,
    BruteForceBlock,
    ThrottleState,
    UnblockToken,
)
from fraud.risk.models import IPRule, LoginPolicy, RiskSettings  # noqa: F401
from fraud.sift.models import SiftDecision, SiftOutbox, SiftSettings  # noqa: F401
