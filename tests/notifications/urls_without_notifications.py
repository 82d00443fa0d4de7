"""A site that forgot ``notifications.urls`` (for the system check's test)."""

from django.urls import include, path

urlpatterns = [path("accounts/", include("ciam.urls")), path("fraud/", include("fraud.urls"))]
