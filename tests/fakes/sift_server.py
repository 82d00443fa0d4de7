"""A fake Sift on loopback that holds every request to the contract in SIFT.md.

It is an independent oracle: every event is checked by ``tests.fakes.sift_contract``, written
from Sift's reference, not imported from the code under test. A request that breaks the contract is
answered as Sift would (HTTP 400 with a non-zero status) and recorded in ``violations``; the
``sift_server`` fixture fails the test if any is left at the end.

Answers are scriptable: ``reply(...)`` sets the default, ``then(...)`` queues one-shot answers
(a score, a workflow decision, a Sift status such as 51 or -1, an HTTP status such as 500 or
429, a delay longer than the client's read timeout, a dropped connection, a score_response of
the wrong shape).
"""

from __future__ import annotations

import base64
import json
import re
import time
from collections import deque
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from tests.fakes.loopback import Answer, LoopbackServer, Request
from tests.fakes.sift_contract import check_event

DEFAULT_KEY = "fake-sift-key-0123456789abcdef"


@dataclass(frozen=True)
class Reply:
    """How the fake answers one request."""

    status: int = 0
    http_status: int = 200
    error_message: str = ""
    score: float | None = 0.1
    score_status: int = 0
    decision: str | None = None
    delay: float = 0.0
    drop: bool = False
    raw: bytes | None = None
    # Fields of score_response served as given, over the generated ones: a malformed answer
    # (``{"workflow_statuses": [{"entity": [...]}]}``) with a well-formed envelope.
    score_response_fields: dict[str, Any] | None = None


@dataclass
class Received:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    violations: list[str] = field(default_factory=list)

    @property
    def event_type(self) -> str | None:
        return self.body.get("$type") if isinstance(self.body, dict) else None


class FakeSift(LoopbackServer):
    """``with FakeSift() as sift: ...`` or ``start()`` / ``stop()``. ``received`` holds
    ``Received`` records (the body parsed, the contract's violations), ``connections`` the
    connections clients opened."""

    def __init__(self, api_key: str = DEFAULT_KEY):
        super().__init__()
        self.api_key = api_key
        self.received: list[Received] = []
        self.violations: list[str] = []
        self.default = Reply()
        self._queue: deque[Reply] = deque()

    # -- scripting ---------------------------------------------------------------------------

    def reply(self, **kwargs) -> FakeSift:
        """Answer every request this way from now on (fields of ``Reply``)."""
        self.default = replace(Reply(), **kwargs)
        return self

    def then(self, **kwargs) -> FakeSift:
        """Answer the next request this way, once (calls queue up)."""
        with self._lock:
            self._queue.append(replace(self.default, **kwargs))
        return self

    def events(self, event_type: str | None = None) -> list[dict]:
        return [
            r.body
            for r in list(self.received)
            if r.path.endswith("/events") and (event_type is None or r.event_type == event_type)
        ]

    def wait_for(self, count: int, timeout: float = 15.0) -> list[dict]:
        """Wait until ``count`` events arrived (a worker delivers them in the background)."""
        deadline = time.monotonic() + timeout
        while len(self.events()) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.events()

    # -- answers -----------------------------------------------------------------------------

    def _next_reply(self) -> Reply:
        with self._lock:
            return self._queue.popleft() if self._queue else self.default

    def _record(self, received: Received) -> None:
        with self._lock:
            self.received.append(received)
            self.violations.extend(received.violations)

    def respond(self, request: Request) -> Answer:
        received = Received(request.method, request.path, request.query, request.headers, None)
        reply = self._next_reply()
        if request.method == "POST" and request.path == "/v205/events":
            status, body = self._events(request.body, request.query, received, reply)
        elif request.method == "GET" and re.fullmatch(r"/v205/users/[^/]+/score", request.path):
            status, body = self._score_api(request, received, reply)
        else:
            received.violations.append(f"{request.method} {request.path}: not a Sift endpoint")
            status, body = 404, {"status": 104, "error_message": "Unknown endpoint"}
        self._record(received)
        data = reply.raw if reply.raw is not None else json.dumps(body).encode()
        return Answer(
            status,
            data,
            {"Content-Type": "application/json"},
            delay=reply.delay,
            drop=reply.drop,
        )

    def _events(self, raw: bytes, query, received: Received, reply: Reply):
        try:
            body = json.loads(raw)
        except ValueError:
            received.violations.append("the body is not JSON")
            return 400, {"status": 56, "error_message": "Invalid JSON"}
        received.body = body
        received.violations.extend(check_event(body, query, int(time.time() * 1000)))
        if received.violations:
            return 400, {"status": 105, "error_message": "; ".join(received.violations)}
        if isinstance(body, dict) and body.get("$api_key") != self.api_key:
            return 400, {"status": 51, "error_message": "Invalid API key"}
        if reply.status or reply.http_status != 200:
            return reply.http_status, {
                "status": reply.status,
                "error_message": reply.error_message or "Scripted error",
                "time": int(time.time()),
                "request": "",
            }
        answer: dict[str, Any] = {
            "status": 0,
            "error_message": "OK",
            "time": int(time.time()),
            "request": raw.decode(errors="replace")[:200],
        }
        if "return_score" in query or "return_workflow_status" in query:
            answer["score_response"] = self._score_response(body, query, reply)
        return 200, answer

    def _score_response(self, body: dict, query, reply: Reply) -> dict:
        score_response: dict[str, Any] = {
            "status": reply.score_status,
            "error_message": "OK" if reply.score_status == 0 else "Scripted score error",
            "user_id": body.get("$user_id"),
        }
        if reply.score_status:
            return score_response
        if "return_score" in query and reply.score is not None:
            score_response["scores"] = {
                "account_takeover": {"score": reply.score, "reasons": [{"name": "Fake"}]}
            }
        if "return_workflow_status" in query:
            history = [{"app": "review_queue", "name": "Review", "state": "finished"}]
            if reply.decision:
                history.insert(
                    0,
                    {
                        "app": "decision",
                        "name": "Decision",
                        "state": "running",
                        "config": {"decision_id": reply.decision},
                    },
                )
            score_response["workflow_statuses"] = [
                {
                    "id": "wf-order",
                    "state": "running",
                    "abuse_types": ["payment_abuse"],
                    "entity": {"type": "order", "id": "o1"},
                    "history": [{"app": "decision", "config": {"decision_id": "order_looks_bad"}}],
                },
                {
                    "id": "wf-session",
                    "state": "running",
                    "abuse_types": ["account_takeover"],
                    "entity": {"type": "session", "id": body.get("$session_id", "")},
                    "history": history,
                },
            ]
        score_response.update(reply.score_response_fields or {})
        return score_response

    def _score_api(self, request: Request, received: Received, reply: Reply):
        auth = request.header("Authorization") or ""
        key = ""
        if auth.startswith("Basic "):
            key = base64.b64decode(auth[6:]).decode(errors="replace").partition(":")[0]
        if not key:
            received.violations.append("Score API called without HTTP Basic authentication")
        if key != self.api_key:
            return 401, {"status": 51, "error_message": "Invalid API key"}
        if reply.status or reply.http_status != 200:
            return reply.http_status, {"status": reply.status, "error_message": "Scripted error"}
        return 404, {"status": 54, "error_message": "Specified user_id has no scoreable events"}


@pytest.fixture(name="sift_server")
def sift_server_fixture():
    """A running fake Sift; the test fails if a request broke the contract."""
    with FakeSift() as server:
        yield server
    assert not server.violations, server.violations
