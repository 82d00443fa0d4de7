"""The authentication context handed to risk-check receivers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest

from .client_ip import get_client_ip
from .device import get_device_id, get_session_id

MAX_USER_AGENT = 512


@dataclass
class AuthenticationContext:
    """Who is signing in, how, and from where.

    ``method`` is ``"password"``, ``"passkey"`` or ``"social"``. ``signals`` is a scratch space
    receivers may fill for one another (the local risk engine stores its findings there).
    """

    request: HttpRequest | None
    user: Any
    method: str = "password"
    ip: str = ""
    device_id: str = ""
    session_id: str = ""
    user_agent: str = ""
    identifier: str = ""
    signals: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_request(
        cls, request: HttpRequest, user, method: str = "password", identifier: str = ""
    ) -> AuthenticationContext:
        return cls(
            request=request,
            user=user,
            method=method,
            ip=get_client_ip(request),
            device_id=get_device_id(request),
            session_id=get_session_id(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:MAX_USER_AGENT],
            identifier=identifier,
        )
