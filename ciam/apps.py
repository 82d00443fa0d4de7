from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CiamConfig(AppConfig):
    name = "ciam"
    label = "ciam"
    verbose_name = _("Login pipeline")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import checks, receivers  # noqa: F401
