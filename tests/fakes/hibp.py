"""A fake Pwned Passwords range API on loopback, answering in the real format.

``GET /range/{5 hex}``: ``text/plain``, one ``SUFFIX:COUNT`` line per hash with that prefix
(35 upper-case hex characters, CRLF line ends, as api.pwnedpasswords.com answers). With
``Add-Padding: true`` the answer is padded to at least 800 lines with random suffixes at count
0, as the real service does; a padding line may even carry the suffix of a password that is
not breached (count 0), which a client must ignore.
"""

from __future__ import annotations

import hashlib
import re
import secrets

from .loopback import Answer, LoopbackServer, Request

PADDED_LINES = 800


def sha1_hex(password: str) -> str:
    return hashlib.sha1(password.encode()).hexdigest().upper()


class FakePwnedPasswords(LoopbackServer):
    def __init__(self) -> None:
        super().__init__()
        self.breached: dict[str, int] = {}  # full SHA-1 -> count
        self.zero_padded: set[str] = set()  # full SHA-1s that appear as count-0 padding
        self.status = 200
        self.delay = 0.0
        self.body_override: bytes | None = None

    def add(self, password: str, count: int = 42) -> None:
        self.breached[sha1_hex(password)] = count

    def pad_with(self, password: str) -> None:
        """Make ``password``'s suffix show up as a count-0 padding line."""
        self.zero_padded.add(sha1_hex(password))

    def ranges_asked(self) -> list[str]:
        return [r.path.rsplit("/", 1)[-1] for r in self.received if r.path.startswith("/range/")]

    def answer(self, request: Request) -> Answer:
        match = re.fullmatch(r"/range/([0-9A-Fa-f]{5})", request.path)
        if request.method != "GET" or not match:
            return Answer(404, b"Not found")
        if self.status != 200 or self.body_override is not None:
            return Answer(self.status, self.body_override or b"", delay=self.delay)
        prefix = match.group(1).upper()
        lines = {h[5:]: c for h, c in self.breached.items() if h.startswith(prefix)}
        for full in self.zero_padded:
            if full.startswith(prefix):
                lines.setdefault(full[5:], 0)
        if (request.header("Add-Padding") or "").lower() == "true":
            while len(lines) < PADDED_LINES:
                lines.setdefault(secrets.token_hex(18)[:35].upper(), 0)
        body = "\r\n".join(f"{suffix}:{count}" for suffix, count in sorted(lines.items()))
        return Answer(200, body.encode(), {"Content-Type": "text/plain"}, delay=self.delay)
