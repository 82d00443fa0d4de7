"""Bot detection's CAPTCHA through the hosted pages: when it is shown, the built-in proof of
work, and Turnstile, hCaptcha and reCAPTCHA v2/v3 checked against fake verifiers on loopback,
including their outages."""

from __future__ import annotations

import pytest
from django.test import Client

from fraud.events.models import EventType, SecurityEvent
from fraud.protection.captcha import proof_of_work
from fraud.protection.models import AttackProtectionSettings
from fraud.risk.models import IPRule
from tests.fakes.captcha import SECRET
from tests.fraud.protection_support import (  # noqa: F401
    BROWSER,
    LOGIN,
    RESET,
    SIGNUP,
    browser,
    captcha_verifier_fixture,
    form_fields,
    protect_fixture,
)

pytestmark = pytest.mark.django_db

SCRIPT = {"HTTP_USER_AGENT": "python-requests/2.32.3", "HTTP_ACCEPT": "*/*"}
IP = "203.0.113.10"


def shows_captcha(html: str) -> bool:
    return any(
        marker in html
        for marker in (
            "data-ciam-pow",
            "cf-turnstile",
            "h-captcha",
            "g-recaptcha",
            "data-ciam-recaptcha",
        )
    )


def open_form(client: Client, url: str = LOGIN) -> tuple[str, dict]:
    html = client.get(url).content.decode()
    return html, form_fields(html)


def solve_pow(fields: dict) -> dict:
    challenge = fields[proof_of_work.CHALLENGE_FIELD]
    return {**fields, proof_of_work.SOLUTION_FIELD: proof_of_work.solve(challenge, 8)}


def events(type_: str) -> list[SecurityEvent]:
    return list(SecurityEvent.objects.filter(type=type_).order_by("pk"))


@pytest.fixture
def pow_(protect):
    """The built-in proof of work, cheap enough to solve in Python."""
    return lambda **modes: protect(pow_difficulty=8, **modes)


# --- When a CAPTCHA is shown --------------------------------------------------------------------


def test_never_shows_nothing_and_adds_no_field(user):
    html, fields = open_form(Client(**SCRIPT))
    assert not shows_captcha(html) and "ciam_form_token" not in fields


def test_never_scores_nothing_and_says_so(user, password):
    client = Client(REMOTE_ADDR=IP, **SCRIPT)
    assert client.post(LOGIN, {"login": "alice", "password": password}).status_code == 302
    signed_in = SecurityEvent.objects.get(type=EventType.LOGIN_SUCCEEDED)
    assert [s for s in signed_in.signals if s["key"] == "bot"] == []
    help_text = str(AttackProtectionSettings._meta.get_field("captcha_login").help_text)
    assert help_text.startswith("Never: no bot score and no CAPTCHA on this flow.")


def test_when_risky_a_browser_is_not_challenged(user, password, pow_):
    pow_(captcha_login="risky")
    client = browser(IP)
    html, fields = open_form(client)
    assert not shows_captcha(html) and "ciam_form_token" in fields
    response = client.post(LOGIN, {**fields, "login": "alice", "password": password})
    assert response.status_code == 302
    assert not SecurityEvent.objects.filter(type__startswith="captcha").exists()


def test_when_risky_a_script_must_solve_the_proof_of_work(user, password, pow_):
    pow_(captcha_login="risky")
    client = Client(REMOTE_ADDR=IP, **SCRIPT)
    html, fields = open_form(client)
    assert shows_captcha(html) and "<noscript>" in html

    refused = client.post(LOGIN, {"login": "alice", "password": password})
    assert refused.status_code == 400
    assert "Complete the check below to continue." in refused.content.decode()
    assert shows_captcha(refused.content.decode())  # the page shown again carries it

    shown = events(EventType.CAPTCHA_SHOWN)[0]
    assert shown.score >= 0.6
    assert "automation user agent: python-requests/2.32.3" in [
        s["explanation"] for s in shown.signals
    ]

    fields = solve_pow(form_fields(refused.content.decode()))
    response = client.post(LOGIN, {**fields, "login": "alice", "password": password})
    assert response.status_code == 302
    solved = events(EventType.CAPTCHA_SOLVED)[0]
    assert solved.data["provider"] == "pow" and solved.score >= 0.6
    # The risk engine weighed the bot score of the sign-in.
    signed_in = events(EventType.LOGIN_SUCCEEDED)[0]
    assert "bot" in {s["key"] for s in signed_in.signals}


def test_a_solution_is_good_once(user, password, pow_):
    pow_(captcha_login="always")
    client = browser(IP)
    fields = solve_pow(open_form(client)[1])
    assert client.post(LOGIN, {**fields, "login": "alice", "password": "x"}).status_code == 400
    replay = client.post(LOGIN, {**fields, "login": "alice", "password": password})
    assert replay.status_code == 400
    assert "did not pass" in replay.content.decode()
    assert events(EventType.CAPTCHA_FAILED)[0].reason == "challenge already used"


@pytest.mark.parametrize(
    "tamper, reason",
    [
        ("solution", "wrong proof of work"),
        ("challenge", "challenge forged"),
        ("flow", "challenge for another form"),
        ("letters", "malformed proof of work"),
    ],
)
def test_a_bad_proof_of_work_fails(user, pow_, tamper, reason):
    pow_(captcha_login="always")
    client = browser(IP)
    fields = solve_pow(open_form(client)[1])
    if tamper == "solution":
        challenge = fields[proof_of_work.CHALLENGE_FIELD]
        bad = next(str(n) for n in range(10_000) if not proof_of_work.solves(challenge, str(n), 8))
        fields[proof_of_work.SOLUTION_FIELD] = bad
    elif tamper == "challenge":
        fields[proof_of_work.CHALLENGE_FIELD] = fields[proof_of_work.CHALLENGE_FIELD][:-2] + "xx"
    elif tamper == "flow":
        other = proof_of_work.issue_challenge("signup", 8)
        fields.update(
            {
                proof_of_work.CHALLENGE_FIELD: other,
                proof_of_work.SOLUTION_FIELD: proof_of_work.solve(other, 8),
            }
        )
    else:
        fields[proof_of_work.SOLUTION_FIELD] = "12ab"
    response = client.post(LOGIN, {**fields, "login": "alice", "password": "x"})
    assert response.status_code == 400
    assert events(EventType.CAPTCHA_FAILED)[0].reason == reason


def test_always_challenges_sign_up_and_password_reset(user, pow_):
    pow_(captcha_signup="always", captcha_password_reset="always")
    client = browser(IP)
    for url, data, done in [
        (SIGNUP, {"email": "new@example.com", "password1": "a long passphrase 12"}, 302),
        (RESET, {"email": "alice@example.com"}, 302),
    ]:
        html, fields = open_form(client, url)
        assert shows_captcha(html)
        assert client.post(url, {**fields, **data}).status_code == 400
        assert (
            client.post(url, {**solve_pow(open_form(client, url)[1]), **data}).status_code == done
        )


def test_a_disposable_email_at_sign_up_is_risky(pow_):
    pow_(captcha_signup="risky")
    client = browser(IP)
    fields = open_form(client, SIGNUP)[1]
    data = {**fields, "email": "x@mailinator.com", "password1": "a long passphrase 12"}
    response = client.post(SIGNUP, data)
    assert response.status_code == 400 and shows_captcha(response.content.decode())


def test_the_allow_list_never_sees_a_captcha(user, password, pow_):
    pow_(captcha_login="always")
    IPRule.objects.create(network="203.0.113.0/24", action="allow")
    client = Client(REMOTE_ADDR=IP, **SCRIPT)
    html, _fields = open_form(client)
    assert not shows_captcha(html)
    assert client.post(LOGIN, {"login": "alice", "password": password}).status_code == 302


def test_bot_detection_off_shows_nothing(user, pow_):
    pow_(captcha_login="always", bot_detection_enabled=False)
    assert not shows_captcha(open_form(Client(**SCRIPT))[0])


# --- Third-party providers ----------------------------------------------------------------------

PROVIDERS = {
    "turnstile": ("turnstile", "cf-turnstile-response", "cf-turnstile"),
    "hcaptcha": ("hcaptcha", "h-captcha-response", "h-captcha"),
    "recaptcha_v2": ("recaptcha", "g-recaptcha-response", "g-recaptcha"),
    "recaptcha_v3": ("recaptcha", "g-recaptcha-response", "data-ciam-recaptcha"),
}


@pytest.fixture(params=sorted(PROVIDERS))
def provider(request, protect, captcha_verifier):
    name = request.param
    kind, field, marker = PROVIDERS[name]
    fake = captcha_verifier(kind)
    protect(
        captcha_provider=name,
        captcha_site_key="site-key-123",
        captcha_secret=SECRET,
        captcha_login="always",
    )
    return name, fake, field, marker


def token_for(name, fake, **extra):
    if name == "recaptcha_v3":
        extra = {"score": 0.9, "action": "login", **extra}
    return fake.issue(**extra)


def test_a_provider_widget_and_a_good_answer(user, password, provider):
    name, fake, field, marker = provider
    client = browser(IP)
    html, fields = open_form(client)
    assert marker in html and "site-key-123" in html
    token = token_for(name, fake)
    response = client.post(LOGIN, {**fields, field: token, "login": "alice", "password": password})
    assert response.status_code == 302
    (asked,) = fake.received
    assert asked.form == {"secret": SECRET, "response": token, "remoteip": IP}
    assert events(EventType.CAPTCHA_SOLVED)[0].data["provider"] == name


@pytest.mark.parametrize("answer", ["unknown", "duplicate", "missing"])
def test_a_provider_refusal_fails_the_check(user, password, provider, answer):
    name, fake, field, _marker = provider
    client = browser(IP)
    fields = open_form(client)[1]
    token = {"unknown": "made-up-token", "duplicate": token_for(name, fake), "missing": ""}[answer]
    if answer == "duplicate":
        fake.spent.add(token)
    response = client.post(LOGIN, {**fields, field: token, "login": "alice", "password": password})
    assert response.status_code == 400
    if answer != "missing":
        assert events(EventType.CAPTCHA_FAILED)[0].data["provider"] == name


@pytest.mark.parametrize("outage", ["http_500", "timeout", "not_json", "bad_secret"])
@pytest.mark.parametrize("mode, expected", [("always", 503), ("risky", 302)])
def test_an_outage_follows_the_default_choice(
    user, password, protect, captcha_verifier, outage, mode, expected
):
    fake = captcha_verifier("turnstile")
    protect(
        captcha_provider="turnstile",
        captcha_site_key="k",
        captcha_secret="wrong-secret" if outage == "bad_secret" else SECRET,
        captcha_login=mode,
    )
    if outage == "http_500":
        fake.status = 500
    elif outage == "timeout":
        fake.delay = 1.0  # read timeout 0.5 s
    elif outage == "not_json":
        fake.raw_body = b"<html>Bad gateway</html>"
    client = Client(REMOTE_ADDR=IP, **SCRIPT)  # risky enough for "When risky"
    data = {"cf-turnstile-response": fake.issue(), "login": "alice", "password": password}
    response = client.post(LOGIN, data)
    assert response.status_code == expected
    if expected == 503:
        assert response["Retry-After"] == "60"
        assert "not a robot right now" in response.content.decode()
    failed = events(EventType.CAPTCHA_FAILED)[0]
    assert failed.data["outage"] == ("failed closed" if mode == "always" else "failed open")


@pytest.mark.parametrize("answer", ["bad_request", "http_429", "unknown", "duplicate"])
def test_what_a_client_can_provoke_never_fails_open(
    user, password, protect, captcha_verifier, answer
):
    """A risky script sending a garbled or replayed token is refused, even with "When
    risky" (which fails open on a real outage)."""
    fake = captcha_verifier("turnstile")
    protect(
        captcha_provider="turnstile",
        captcha_site_key="k",
        captcha_secret=SECRET,
        captcha_login="risky",
    )
    token = fake.issue()
    if answer == "bad_request":
        fake.raw_body = b'{"success": false, "error-codes": ["bad-request"]}'
    elif answer == "http_429":
        fake.status = 429
    elif answer == "unknown":
        token = "made-up-token"
    else:
        fake.spent.add(token)
    client = Client(REMOTE_ADDR=IP, **SCRIPT)
    data = {"cf-turnstile-response": token, "login": "alice", "password": password}
    response = client.post(LOGIN, data)
    assert response.status_code == 400
    assert "did not pass" in response.content.decode()
    failed = events(EventType.CAPTCHA_FAILED)[0]
    assert "outage" not in failed.data
    assert len(fake.received) == 1


def test_a_token_longer_than_turnstile_allows_fails_unasked(
    user, password, protect, captcha_verifier
):
    fake = captcha_verifier("turnstile")
    protect(
        captcha_provider="turnstile",
        captcha_site_key="k",
        captcha_secret=SECRET,
        captcha_login="risky",
    )
    client = Client(REMOTE_ADDR=IP, **SCRIPT)
    data = {"cf-turnstile-response": "x" * 2049, "login": "alice", "password": password}
    response = client.post(LOGIN, data)
    assert response.status_code == 400
    assert events(EventType.CAPTCHA_FAILED)[0].reason == "answer too long"
    assert fake.received == []


@pytest.mark.parametrize("choice, expected", [("open", 302), ("closed", 503)])
def test_the_administrator_chooses_open_or_closed(
    user, password, protect, captcha_verifier, choice, expected
):
    fake = captcha_verifier("hcaptcha")
    fake.status = 502
    protect(
        captcha_provider="hcaptcha",
        captcha_site_key="k",
        captcha_secret=SECRET,
        captcha_login="always",
        captcha_outage=choice,
    )
    data = {"h-captcha-response": "t", "login": "alice", "password": password}
    assert browser(IP).post(LOGIN, data).status_code == expected


@pytest.mark.parametrize(
    "extra, reason",
    [({"score": 0.2}, "score 0.20 below 0.50"), ({"action": "signup"}, "token for action signup")],
)
def test_recaptcha_v3_weighs_score_and_action(
    user, password, protect, captcha_verifier, extra, reason
):
    fake = captcha_verifier("recaptcha")
    protect(
        captcha_provider="recaptcha_v3",
        captcha_site_key="k",
        captcha_secret=SECRET,
        captcha_login="always",
    )
    token = fake.issue(**{"score": 0.9, "action": "login", **extra})
    data = {"g-recaptcha-response": token, "login": "alice", "password": password}
    assert browser(IP).post(LOGIN, data).status_code == 400
    assert events(EventType.CAPTCHA_FAILED)[0].reason == reason


def test_a_third_party_provider_needs_its_keys(protect):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as raised:
        protect(captcha_provider="turnstile")
    assert set(raised.value.message_dict) == {"captcha_site_key", "captcha_secret"}
