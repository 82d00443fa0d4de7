"""Admin of the fraud app, defined in its sub-packages and registered here (one import line
per sub-package)."""

from fraud.events import admin as events_admin  # noqa: F401
from fraud.protection import admin as protection_admin  # noqa: F401
from fraud.risk import admin as risk_admin  # noqa: F401
from fraud.sift import admin as sift_admin  # noqa: F401
