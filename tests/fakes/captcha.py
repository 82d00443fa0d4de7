"""Fake CAPTCHA verifiers on loopback: Cloudflare Turnstile, hCaptcha and Google reCAPTCHA.

All three share one protocol: ``POST /siteverify`` with a form-encoded ``secret``,
``response`` (the widget's token) and optional ``remoteip``; the answer is JSON with
``success`` and ``error-codes``, plus ``score`` and ``action`` for reCAPTCHA v3, ``action`` for
Turnstile. Tokens are issued with ``issue()``; each is good once, as with the real services
("timeout-or-duplicate").
"""

from __future__ import annotations

import json
import secrets

from .loopback import Answer, LoopbackServer, Request

SECRET = "fake-captcha-secret-0123456789"


class FakeCaptchaVerifier(LoopbackServer):
    def __init__(self, kind: str, secret: str = SECRET) -> None:
        super().__init__()
        self.kind = kind  # "turnstile" | "hcaptcha" | "recaptcha"
        self.secret = secret
        self.tokens: dict[str, dict] = {}
        self.spent: set[str] = set()
        self.status = 200
        self.delay = 0.0
        self.raw_body: bytes | None = None

    def issue(self, **extra) -> str:
        """A token the widget would have put in the form; ``extra`` goes into the answer
        (``score=0.9, action="login"`` for reCAPTCHA v3)."""
        token = f"{self.kind}-{secrets.token_urlsafe(16)}"
        self.tokens[token] = extra
        return token

    def answer(self, request: Request) -> Answer:
        if request.method != "POST" or request.path != "/siteverify":
            return Answer(404, b"{}")
        if self.status != 200 or self.raw_body is not None:
            return Answer(self.status, self.raw_body or b"", delay=self.delay)
        form = request.form
        body: dict = {"success": False, "error-codes": []}
        token = form.get("response", "")
        if form.get("secret") != self.secret:
            body["error-codes"] = ["invalid-input-secret"]
        elif not token:
            body["error-codes"] = ["missing-input-response"]
        elif token in self.spent:
            body["error-codes"] = ["timeout-or-duplicate"]
        elif token not in self.tokens:
            body["error-codes"] = ["invalid-input-response"]
        else:
            self.spent.add(token)
            body = {"success": True, "hostname": "localhost", **self.tokens[token]}
            if self.kind == "recaptcha":
                body.setdefault("challenge_ts", "2024-01-01T00:00:00Z")
        return Answer(
            200, json.dumps(body).encode(), {"Content-Type": "application/json"}, self.delay
        )
