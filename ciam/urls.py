"""``path("accounts/", include("ciam.urls"))``: allauth's pages and the suite's own."""

from django.apps import apps
from django.urls import include, path

from . import views
from .mfa import views as mfa_views

app_name_patterns = [
    path("security/", views.account_security, name="account_security"),
    path("step-up/", mfa_views.step_up, name="step_up"),
    path("step-up/cancel/", mfa_views.step_up_cancel, name="step_up_cancel"),
    path("mfa/totp/setup/", mfa_views.totp_setup, name="totp_setup"),
    path("mfa/totp/<int:pk>/remove/", mfa_views.totp_remove, name="totp_remove"),
    path("mfa/backup-codes/", mfa_views.backup_codes, name="backup_codes"),
]

urlpatterns = [
    path("", include((app_name_patterns, "ciam"))),
    path("", include("allauth.urls")),
]

# The suite's optional apps bring their pages along when installed (ciam imports none of them).
if apps.is_installed("passkeys"):
    urlpatterns.append(path("passkeys/", include("passkeys.urls")))
