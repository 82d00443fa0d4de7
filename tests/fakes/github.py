"""A fake GitHub OAuth server on loopback: authorize, token, user and emails endpoints."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from .loopback import Answer, LoopbackServer, Request


def _json(status: int, body) -> Answer:
    return Answer(status, json.dumps(body).encode(), {"Content-Type": "application/json"})


class FakeGitHub(LoopbackServer):
    def __init__(self, user: dict, emails: list[dict]):
        super().__init__()
        self.user = user
        self.emails = emails
        self.codes: dict[str, str] = {}

    def answer(self, request: Request) -> Answer:
        if request.method == "POST":
            code = request.form.get("code", "")
            if request.path != "/login/oauth/access_token" or code not in self.codes:
                return _json(400, {"error": "bad_verification_code"})
            return _json(200, {"access_token": self.codes[code], "token_type": "bearer"})
        if request.path == "/login/oauth/authorize":
            # The user approves at once: back to the site with a code and its state.
            code = f"code-{len(self.codes)}"
            self.codes[code] = "token-" + code
            query = urlencode({"code": code, "state": request.query["state"]})
            return Answer(302, headers={"Location": f"{request.query['redirect_uri']}?{query}"})
        token = (request.header("Authorization") or "").removeprefix("token ")
        if token not in self.codes.values():
            return _json(401, {"message": "Bad credentials"})
        if request.path == "/api/v3/user":
            return _json(200, self.user)
        if request.path == "/api/v3/user/emails":
            return _json(200, self.emails)
        return _json(404, {"message": "Not Found"})
