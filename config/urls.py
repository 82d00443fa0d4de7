from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="ciam:account_security", permanent=False)),
    path("admin/", admin.site.urls),
    path("accounts/", include("ciam.urls")),
    path("fraud/", include("fraud.urls")),
    path("notifications/", include("notifications.urls")),
]
