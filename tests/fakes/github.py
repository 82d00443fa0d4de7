"""A fake GitHub OAuth server on loopback: authorize, token, user and emails endpoints."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse


class FakeGitHub:
    def __init__(self, user: dict, emails: list[dict]):
        self.user = user
        self.emails = emails
        self.codes: dict[str, str] = {}
        self.requests: list[tuple[str, str]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _json(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                url = urlparse(self.path)
                fake.requests.append(("GET", url.path))
                if url.path == "/login/oauth/authorize":
                    # The user approves at once: back to the site with a code and its state.
                    query = parse_qs(url.query)
                    code = f"code-{len(fake.codes)}"
                    fake.codes[code] = "token-" + code
                    target = (
                        query["redirect_uri"][0]
                        + "?"
                        + urlencode({"code": code, "state": query["state"][0]})
                    )
                    self.send_response(302)
                    self.send_header("Location", target)
                    self.end_headers()
                    return
                token = self.headers.get("Authorization", "").removeprefix("token ")
                if token not in fake.codes.values():
                    return self._json(401, {"message": "Bad credentials"})
                if url.path == "/api/v3/user":
                    return self._json(200, fake.user)
                if url.path == "/api/v3/user/emails":
                    return self._json(200, fake.emails)
                self._json(404, {"message": "Not Found"})

            def do_POST(self):
                url = urlparse(self.path)
                fake.requests.append(("POST", url.path))
                length = int(self.headers.get("Content-Length", 0))
                form = parse_qs(self.rfile.read(length).decode())
                code = form.get("code", [""])[0]
                if url.path != "/login/oauth/access_token" or code not in fake.codes:
                    return self._json(400, {"error": "bad_verification_code"})
                self._json(200, {"access_token": fake.codes[code], "token_type": "bearer"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
