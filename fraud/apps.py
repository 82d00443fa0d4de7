from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FraudConfig(AppConfig):
    name = "fraud"
    label = "ciam_fraud"
    verbose_name = _("Fraud detection")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from .console import checks as console_checks  # noqa: F401
        from .console import receivers as console_receivers  # noqa: F401
        from .events import receivers as event_receivers  # noqa: F401

        # Attack protection before the risk engine: what it reports (bot score, breached
        # password) must be there when the engine's receiver of the same signal scores it.
        from .protection import checks as protection_checks  # noqa: F401
        from .protection import receivers as protection_receivers  # noqa: F401
        from .risk import checks, receivers  # noqa: F401
        from .sift import checks as sift_checks  # noqa: F401
        from .sift import receivers as sift_receivers  # noqa: F401
