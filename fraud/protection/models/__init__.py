"""Attack protection's models: the administrator's settings (``settings``) and the state rows
(``state``: brute-force blocks, throttled addresses, single-use unblock links).

Import them from here (``from fraud.protection.models import BruteForceBlock``).
"""

from .settings import (
    RISK_THRESHOLDS,
    AttackProtectionSettings,
    CaptchaMode,
    CaptchaProvider,
    DigestFrequency,
    OutageBehaviour,
    RiskLevel,
)
from .state import (
    ACTIVE,
    BLOCK_DAYS,
    BlockQuerySet,
    BruteForceBlock,
    ThrottleState,
    UnblockToken,
    _new_token_id,  # the default of UnblockToken.token_id, named so by migration 0003
)

__all__ = [
    "ACTIVE",
    "BLOCK_DAYS",
    "RISK_THRESHOLDS",
    "AttackProtectionSettings",
    "BlockQuerySet",
    "BruteForceBlock",
    "CaptchaMode",
    "CaptchaProvider",
    "DigestFrequency",
    "OutageBehaviour",
    "RiskLevel",
    "ThrottleState",
    "UnblockToken",
    "_new_token_id",
]
