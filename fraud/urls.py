"""``path("fraud/", include("fraud.urls"))``: the endpoints of the fraud app."""

from django.urls import path

from .protection.views import unblock_view
from .sift.webhooks import sift_webhook

app_name = "ciam_fraud"

urlpatterns = [
    path("sift/webhook/", sift_webhook, name="sift_webhook"),
    path("unblock/<str:token>/", unblock_view, name="unblock"),
]
