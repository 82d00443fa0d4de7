"""The bot score: each signal, its weight and its explanation."""

from __future__ import annotations

import time

import pytest
from django.core import signing
from django.test import RequestFactory

from fraud.protection import bot
from fraud.risk.ip_rules import IPRuleMatch
from tests.fraud.protection_support import BROWSER

FLOW = "login"


def request(post: dict | None = None, **headers):
    meta = {**BROWSER, **headers}
    meta = {k: v for k, v in meta.items() if v is not None}
    factory = RequestFactory()
    if post is None:
        return factory.get("/accounts/login/", **meta)
    return factory.post("/accounts/login/", post, **meta)


def shown_seconds_ago(seconds: float) -> str:
    # A form token as the page would have issued it ``seconds`` ago.
    issued = int((time.time() - seconds) * 1000)
    return signing.dumps({"f": FLOW, "t": issued}, salt="ciam.fraud.protection.form")


def human_form(**fields) -> dict:
    return {"login": "alice", "password": "x", bot.FORM_TOKEN_FIELD: shown_seconds_ago(9), **fields}


def explained(assessment) -> dict[str, str]:
    return {s.key: s.explanation for s in assessment.signals}


def test_a_browser_scores_zero():
    assert bot.assess(request(), FLOW).score == 0
    assessed = bot.assess(request(human_form()), FLOW, with_form=True)
    assert assessed.score == 0 and assessed.signals == ()


@pytest.mark.parametrize(
    "agent",
    [
        "python-requests/2.32.3",
        "curl/8.5.0",
        "Go-http-client/1.1",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "HeadlessChrome/126.0.0.0 Safari/537.36",
        "Googlebot/2.1 (+http://www.google.com/bot.html)",
    ],
)
def test_automation_user_agents(agent):
    assessed = bot.assess(request(HTTP_USER_AGENT=agent), FLOW)
    assert assessed.score == 0.6
    assert explained(assessed)["automation_user_agent"].startswith("automation user agent: ")


def test_headless_marker_in_client_hints():
    assessed = bot.assess(request(HTTP_SEC_CH_UA='"HeadlessChrome";v="126"'), FLOW)
    assert assessed.keys == ("headless_browser",)


def test_missing_user_agent_and_browser_headers():
    assessed = bot.assess(
        request(
            HTTP_USER_AGENT=None,
            HTTP_ACCEPT=None,
            HTTP_ACCEPT_LANGUAGE=None,
            HTTP_ACCEPT_ENCODING=None,
        ),
        FLOW,
    )
    assert assessed.score == 0.8
    assert explained(assessed)["missing_browser_headers"] == (
        "missing browser headers: Accept, Accept-Language, Accept-Encoding"
    )


def test_the_honeypot():
    assessed = bot.assess(request(human_form(ciam_website="http://spam")), FLOW, with_form=True)
    assert assessed.score == 1.0 and "honeypot" in assessed.keys


def test_a_form_sent_faster_than_a_human():
    form = human_form(**{bot.FORM_TOKEN_FIELD: shown_seconds_ago(0.3)})
    assessed = bot.assess(request(form), FLOW, with_form=True, min_form_seconds=2)
    assert assessed.keys == ("too_fast",)
    assert "faster than 2.0 s" in explained(assessed)["too_fast"]


@pytest.mark.parametrize(
    "token, key",
    [("", "form_token_missing"), ("forged:token", "form_token_invalid")],
)
def test_a_form_not_loaded_from_the_page(token, key):
    assessed = bot.assess(
        request(human_form(**{bot.FORM_TOKEN_FIELD: token})), FLOW, with_form=True
    )
    assert assessed.keys == (key,)


def test_a_form_token_of_another_flow_is_invalid():
    token = bot.issue_form_token("signup")
    assessed = bot.assess(
        request(human_form(**{bot.FORM_TOKEN_FIELD: token})), FLOW, with_form=True
    )
    assert assessed.keys == ("form_token_invalid",)


def test_velocity_from_the_ip_and_its_network():
    counts = bot.BotCounts(ip_failures=12, network_failures=80, window_minutes=15)
    assessed = bot.assess(request(), FLOW, counts=counts)
    assert explained(assessed) == {
        "ip_velocity": "12 failed sign-ins from the IP in 15 min",
        "network_velocity": "80 failed sign-ins from the network in 15 min",
    }
    assert assessed.score == 0.6


def test_sign_up_velocity_and_disposable_email():
    counts = bot.BotCounts(signups_from_ip=25)
    assessed = bot.assess(request(), "signup", counts=counts, identifier="x@Mailinator.com")
    assert explained(assessed) == {
        "signup_velocity": "25 sign-ups from the IP this minute",
        "disposable_email": "disposable email domain: mailinator.com",
    }
    assert assessed.score == 1.0


def test_disposable_domains_come_from_the_maintained_list():
    assert bot.is_disposable_email("someone@mailinator.com")
    assert bot.is_disposable_email("someone@sub.mailinator.com")
    assert not bot.is_disposable_email("someone@example.com")
    assert not bot.is_disposable_email("not an address")


def test_an_ip_on_the_deny_list():
    rule = IPRuleMatch("deny", "198.51.100.0/24", "known botnet")
    assessed = bot.assess(request(), FLOW, ip_rule=rule)
    assert explained(assessed) == {"denied_ip": "IP on the deny list: known botnet"}
    assert bot.assess(request(), FLOW, ip_rule=IPRuleMatch("allow", "10.0.0.0/8")).score == 0
