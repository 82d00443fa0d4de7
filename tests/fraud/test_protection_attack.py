"""Attacks on a real server process over HTTP.

gunicorn serves the reference site (two worker processes, so the counters must be shared) on
127.0.0.1 against this test's PostgreSQL database and Redis. Addresses are simulated with
``X-Forwarded-For`` behind one trusted proxy. The attacker is a script; the legitimate user
sends what a browser sends.

1. 200 wrong passwords from one IP against one account: blocked at the 10th failure; the right
   password from another IP still works.
2. Credential stuffing from one IP over 300 accounts: throttled after 100 failures.
3. 60 sign-ups in a minute from one IP: throttled after 50.
4. With bot detection "When risky", a legitimate user from a clean IP is never challenged,
   while the attacking script is.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection

from fraud.events.models import EventType, SecurityEvent
from fraud.protection.models import AttackProtectionSettings, BruteForceBlock, ThrottleState

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery staple 42"
SCRIPT = {"User-Agent": "python-requests/2.32.3"}
BROWSER = {
    "User-Agent": "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "en-GB,en;q=0.5",
    "Accept-Encoding": "gzip, deflate",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def site(require_postgres, redis_url, transactional_db, tmp_path):
    """The reference site under gunicorn; answers its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.attack_settings",
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis_url,
        "CIAM_TRUSTED_PROXY_COUNT": "1",
        "CELERY_TASK_ALWAYS_EAGER": "true",
        "CIAM_HIBP_API_URL": "http://127.0.0.1:9",  # never the real service
        "PYTHONPATH": str(ROOT),
    }
    log = (tmp_path / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--timeout",
            "60",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"{url}/accounts/login/", timeout=10).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail("the server did not start:\n" + (tmp_path / "gunicorn.log").read_text())
            time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


class Visitor:
    """One HTTP client from one address: keeps its cookies, sends the CSRF token."""

    def __init__(self, site: str, ip: str, headers: dict) -> None:
        self.site = site
        self.session = requests.Session()
        self.session.headers.update({**headers, "X-Forwarded-For": ip})
        self.fields: dict[str, str] = {}

    def open(self, path: str) -> str:
        html = self.session.get(self.site + path, timeout=10).text
        self.fields = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', html))
        return html

    def post(self, path: str, data: dict) -> requests.Response:
        if "csrfmiddlewaretoken" not in self.fields:
            self.open(path)
        return self.session.post(
            self.site + path, {**self.fields, **data}, allow_redirects=False, timeout=10
        )


def shows_captcha(html: str) -> bool:
    return "data-ciam-pow" in html


def make_accounts(count: int) -> None:
    users = get_user_model().objects.bulk_create(
        get_user_model()(
            username=f"user{n}", email=f"user{n}@example.com", password=make_password(PASSWORD)
        )
        for n in range(count)
    )
    EmailAddress.objects.bulk_create(
        EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users
    )


def test_attacks_on_a_real_server(site, make_user):
    make_user("alice", "alice@example.com", password=PASSWORD)
    make_accounts(300)
    AttackProtectionSettings.load()  # the defaults: Auth0's

    # 1. Brute force: 200 wrong passwords from one address against one account.
    attacker = Visitor(site, "198.51.100.7", SCRIPT)
    codes = [
        attacker.post("/accounts/login/", {"login": "alice", "password": f"guess{n}"}).status_code
        for n in range(200)
    ]
    assert codes == [400] * 10 + [429] * 190
    right_password_there = attacker.post(
        "/accounts/login/", {"login": "alice", "password": PASSWORD}
    )
    assert right_password_there.status_code == 429
    owner = Visitor(site, "203.0.113.10", BROWSER)
    signed_in = owner.post("/accounts/login/", {"login": "alice", "password": PASSWORD})
    assert signed_in.status_code == 302, signed_in.text[:300]
    assert owner.session.get(site + "/accounts/security/", timeout=10).status_code == 200
    block = BruteForceBlock.objects.get()
    assert (block.ip, block.user.username, block.failures) == ("198.51.100.7", "alice", 10)

    # 2. Credential stuffing: one address, 300 accounts.
    stuffer = Visitor(site, "192.0.2.55", SCRIPT)
    responses = [
        stuffer.post("/accounts/login/", {"login": f"user{n}@example.com", "password": "123456"})
        for n in range(300)
    ]
    assert [r.status_code for r in responses] == [400] * 100 + [429] * 200
    assert 800 <= int(responses[-1].headers["Retry-After"]) <= 900
    assert "Too many failed sign-ins came from your network" in responses[-1].text
    assert ThrottleState.objects.filter(ip="192.0.2.55", kind="login").count() == 1
    assert not BruteForceBlock.objects.exclude(pk=block.pk).exists()

    # 3. Sign-ups: 60 in a minute from one address.
    farm = Visitor(site, "198.18.0.9", SCRIPT)
    started = time.monotonic()
    codes = [
        farm.post(
            "/accounts/signup/",
            {"email": f"fresh{n}@example.net", "password1": "an unusual passphrase 8"},
        ).status_code
        for n in range(60)
    ]
    assert time.monotonic() - started < 60, "the run must fit in the one-minute window"
    assert codes == [302] * 50 + [429] * 10
    assert get_user_model().objects.filter(email__startswith="fresh").count() == 50

    # 4. "When risky": a legitimate user from a clean address is not challenged...
    settings = AttackProtectionSettings.load()
    settings.captcha_login = settings.captcha_signup = "risky"
    settings.save()
    user = Visitor(site, "203.0.113.77", BROWSER)
    assert not shows_captcha(user.open("/accounts/login/"))
    time.sleep(settings.min_form_seconds)  # a person typing
    response = user.post("/accounts/login/", {"login": "user7@example.com", "password": PASSWORD})
    assert response.status_code == 302, response.text[:300]
    assert not SecurityEvent.objects.filter(
        ip="203.0.113.77", type__in=[EventType.CAPTCHA_SHOWN, EventType.CAPTCHA_FAILED]
    ).exists()
    assert not shows_captcha(Visitor(site, "203.0.113.78", BROWSER).open("/accounts/signup/"))
    # ... while the script that stuffed credentials is.
    assert shows_captcha(Visitor(site, "192.0.2.55", SCRIPT).open("/accounts/login/"))
