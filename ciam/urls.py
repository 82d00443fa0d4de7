"""``path("accounts/", include("ciam.urls"))``: allauth's pages and the suite's own."""

from django.urls import include, path

from . import views

app_name_patterns = [
    path("security/", views.account_security, name="account_security"),
]

urlpatterns = [
    path("", include((app_name_patterns, "ciam"))),
    path("", include("allauth.urls")),
]
