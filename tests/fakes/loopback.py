"""The one base of the fake HTTP services on loopback: a threaded server on 127.0.0.1 and an
ephemeral port, every request recorded, one method to write the answers.

    class FakeThing(LoopbackServer):
        def answer(self, request: Request) -> Answer:
            return Answer(200, b"hello", {"Content-Type": "text/plain"})

    with FakeThing() as fake:
        requests.get(fake.url + "/x")

An answer may wait longer than a client's read timeout (``delay``) or drop the connection
without answering (``drop``). HTTP/1.1 with keep-alive: ``connections`` counts the connections
clients opened. A fake that records more than the request (a parsed body, contract violations)
overrides ``respond`` instead of ``answer``.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes = b""

    @property
    def form(self) -> dict[str, str]:
        """The body as an HTML form (application/x-www-form-urlencoded)."""
        return {k: v[-1] for k, v in parse_qs(self.body.decode(errors="replace")).items()}

    def header(self, name: str) -> str | None:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None


@dataclass(frozen=True)
class Answer:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (longer than a read timeout)
    drop: bool = False  # close the connection without answering (after ``delay``)


class LoopbackServer:
    def __init__(self) -> None:
        self.received: list[Request] = []
        self.connections = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def answer(self, request: Request) -> Answer:
        raise NotImplementedError

    def respond(self, request: Request) -> Answer:
        """Record ``request`` in ``received`` and answer it."""
        with self._lock:
            self.received.append(request)
        return self.answer(request)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, so connection reuse is visible
            # Headers and body are two writes: without this, Nagle's algorithm holds the body
            # until the client's delayed ACK (40 ms) on a kept-alive connection.
            disable_nagle_algorithm = True

            def setup(self):
                super().setup()
                with fake._lock:
                    fake.connections += 1

            def log_message(self, *args):
                pass

            def _serve(self):
                parsed = urlparse(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(
                    self.command,
                    parsed.path,
                    {k: v[-1] for k, v in parse_qs(parsed.query).items()},
                    dict(self.headers.items()),
                    self.rfile.read(length) if length else b"",
                )
                answer = fake.respond(request)
                if answer.delay:
                    time.sleep(answer.delay)
                if answer.drop:
                    self.close_connection = True
                    return
                try:
                    self.send_response(answer.status)
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(answer.body)))
                    self.end_headers()
                    self.wfile.write(answer.body)
                except OSError:
                    # The client gave up (its read timeout): that was the point.
                    self.close_connection = True

            do_GET = _serve
            do_POST = _serve

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        # A short poll interval: shutdown() waits for it, at every test's teardown (the
        # default 0.5 s would add half a second to each test that starts a fake).
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
