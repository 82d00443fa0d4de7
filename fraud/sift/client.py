"""The only module that talks HTTP to Sift.

One ``requests.Session`` per process (a new one after a fork) keeps connections to Sift open
between events; every call has a connect and a read timeout. Each answer is classified as OK,
retryable (timeouts, network errors, HTTP 5xx and 429, Sift status -1 to -4 and 60) or
permanent (any other non-zero status, such as 51 for an invalid API key). Error texts never
contain the API key.
"""

from __future__ import annotations

import enum
import json
import logging
import os
import threading
from dataclasses import dataclass, field
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from fraud.conf import settings

from .masking import mask_api_key, mask_payload

logger = logging.getLogger("ciam.fraud.sift")

EVENTS_PATH = "/v205/events"
SCORE_PATH = "/v205/users/{user_id}/score"
ABUSE_TYPE = "account_takeover"

INVALID_API_KEY = 51
# Sift-side errors and rate limiting: try again later.
RETRYABLE_STATUSES = frozenset({-1, -2, -3, -4, 60})
# Documented as never worth retrying; any other non-zero status is treated the same way.
PERMANENT_STATUSES = frozenset({51, 52, 53, 55, 56, 57, 104, 105, 112, 115})
# The Score API's answer for a user it has no events for: the key itself was accepted.
NO_SCOREABLE_EVENTS = 54
CONNECTION_TEST_USER = "ciam-connection-test"

_MAX_ERROR = 300


class Outcome(enum.Enum):
    OK = "ok"
    RETRYABLE = "retryable"
    PERMANENT = "permanent"


@dataclass(frozen=True)
class SiftResponse:
    """What one call to Sift came to. ``error`` is plain words for logs and the admin."""

    outcome: Outcome
    status: int | None = None
    http_status: int | None = None
    error: str = ""
    body: dict[str, Any] = field(default_factory=dict)
    network_failure: bool = False

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.OK

    @property
    def retryable(self) -> bool:
        return self.outcome is Outcome.RETRYABLE


_session: requests.Session | None = None
_session_pid: int | None = None
_session_lock = threading.Lock()


def new_session() -> requests.Session:
    """A session with a connection pool and no automatic retries (the outbox retries)."""
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=16, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers.update({"Content-Type": "application/json", "User-Agent": "django-ciam"})
    return session


def process_session() -> requests.Session:
    """The session shared by every call of this process (recreated in a forked child)."""
    global _session, _session_pid
    pid = os.getpid()
    if _session is None or _session_pid != pid:
        with _session_lock:
            if _session is None or _session_pid != pid:
                _session = new_session()
                _session_pid = pid
    return _session


def classify_status(status: int) -> Outcome:
    if status == 0:
        return Outcome.OK
    if status in RETRYABLE_STATUSES:
        return Outcome.RETRYABLE
    return Outcome.PERMANENT


class SiftClient:
    """Calls to Sift with one API key and one pair of timeouts."""

    def __init__(
        self,
        api_key: str,
        timeout: tuple[float, float],
        *,
        base_url: str | None = None,
        session: requests.Session | None = None,
    ):
        self.api_key = api_key
        self.timeout = timeout
        self.base_url = (base_url or settings.SIFT_API_URL).rstrip("/")
        self.session = session or process_session()

    def send_event(
        self,
        payload: dict[str, Any],
        *,
        return_score: bool = False,
        return_workflow_status: bool = False,
        log_payload: bool = False,
    ) -> SiftResponse:
        """POST one event; the API key is added to the body here and nowhere else.

        ``log_payload`` logs the payload as sent, masked, under ``ciam.fraud.sift``.
        """
        params = {}
        if return_score:
            params["return_score"] = "true"
        if return_workflow_status:
            params["return_workflow_status"] = "true"
        if params:
            params["abuse_types"] = ABUSE_TYPE
        body = {**payload, "$api_key": self.api_key}
        if log_payload:
            logger.info(
                "Sift %s payload: %s",
                payload.get("$type"),
                json.dumps(mask_payload(body), sort_keys=True),
            )
        # Bytes, so http.client sends headers and body in one segment (a str body goes in a
        # second write, which Nagle's algorithm and delayed ACKs stall on a kept-alive
        # connection).
        data = json.dumps(body, separators=(",", ":")).encode()
        response = self._call("POST", EVENTS_PATH, params=params, data=data)
        if log_payload:
            logger.info(
                "Sift %s answer: %s", payload.get("$type"), response.error or "status 0 (OK)"
            )
        return response

    def check_key(self) -> SiftResponse:
        """A harmless read (the Score API for a user that does not exist) that tells whether
        Sift is reachable and accepts the key."""
        response = self._call(
            "GET",
            SCORE_PATH.format(user_id=CONNECTION_TEST_USER),
            params={"abuse_types": ABUSE_TYPE},
            auth=(self.api_key, ""),
        )
        if response.status == NO_SCOREABLE_EVENTS:
            return SiftResponse(Outcome.OK, response.status, response.http_status)
        return response

    def _call(self, method: str, path: str, **kwargs) -> SiftResponse:
        try:
            answer = self.session.request(
                method, self.base_url + path, timeout=self.timeout, **kwargs
            )
        except requests.Timeout:
            return SiftResponse(
                Outcome.RETRYABLE,
                error=f"Sift did not answer within {sum(self.timeout):g} seconds",
                network_failure=True,
            )
        except requests.RequestException as exc:
            return SiftResponse(
                Outcome.RETRYABLE,
                error=f"cannot reach Sift: {self._describe(exc)}",
                network_failure=True,
            )
        return self._read(answer)

    def _read(self, answer: requests.Response) -> SiftResponse:
        http = answer.status_code
        try:
            body = answer.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("status"), int):
            outcome = Outcome.PERMANENT if 400 <= http < 500 and http != 429 else Outcome.RETRYABLE
            return SiftResponse(outcome, None, http, f"unreadable answer from Sift (HTTP {http})")
        status = body["status"]
        message = self._scrub(str(body.get("error_message", "")))
        if http == 429 or http >= 500:
            outcome = Outcome.RETRYABLE
        elif status == 0 and http >= 400:
            outcome = Outcome.PERMANENT
        else:
            outcome = classify_status(status)
        error = "" if outcome is Outcome.OK else f"Sift status {status} (HTTP {http}): {message}"
        return SiftResponse(outcome, status, http, error, body)

    def _describe(self, exc: Exception) -> str:
        return self._scrub(str(exc) or type(exc).__name__)

    def _scrub(self, text: str) -> str:
        if self.api_key:
            text = text.replace(self.api_key, mask_api_key(self.api_key))
        return text[:_MAX_ERROR]
