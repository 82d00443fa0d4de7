"""``path("notifications/", include("notifications.urls"))``: the "This wasn't me" page."""

from django.urls import path

from .views import not_me_view

app_name = "ciam_notifications"

urlpatterns = [
    path("not-me/<str:token>/", not_me_view, name="not_me"),
]
