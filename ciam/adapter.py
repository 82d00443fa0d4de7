"""The allauth adapter of the hosted pages: client IP, pre-authentication hook, login stages."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.core.exceptions import ValidationError
from django.db import transaction

from . import signals
from .client_ip import get_client_ip
from .pipeline import check_attempt

REFUSAL_ATTR = "ciam_refusal"


class AccountAdapter(DefaultAccountAdapter):
    def login(self, request, user) -> None:
        # The writes of a sign-in (last login, known device, security event, outbox rows)
        # commit together: one disk sync instead of one per receiver.
        with transaction.atomic():
            super().login(request, user)

    def get_client_ip(self, request) -> str:
        return get_client_ip(request)

    def get_login_stages(self) -> list[str]:
        return [
            *super().get_login_stages(),
            "ciam.stages.RiskCheckStage",
            "ciam.stages.StepUpStage",
        ]

    def pre_authenticate(self, request, **credentials) -> None:
        identifier = credentials.get("email") or credentials.get("username") or ""
        refusal = check_attempt(request, "login", identifier)
        if refusal:
            # The login view turns this into the refusal's status code (429 for throttling).
            setattr(request, REFUSAL_ATTR, refusal)
            raise ValidationError(refusal.message, code=refusal.code)
        super().pre_authenticate(request, **credentials)

    def send_password_reset_mail(self, user, email, context) -> None:
        super().send_password_reset_mail(user, email, context)
        request = context.get("request") or self.request
        signals.password_reset_requested.send(
            sender=type(user), request=request, user=user, email=email
        )
