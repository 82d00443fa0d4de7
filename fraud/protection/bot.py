"""The bot score of a request: how automated a sign-in, sign-up or password reset looks.

``assess(...)`` adds up signals, each with a weight and an explanation written for the event
log ("automation user agent: python-requests/2.32"); the score is their sum, capped at 1. It
makes no query and no cache call of its own: the counters it weighs (failures from the IP and
from its network, sign-ups from the IP) come from the attempt's one cache round trip.

Form signals come from the fields ``form_fields`` puts in the hosted forms: a honeypot input
people never see, and a signed timestamp of when the page was shown.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from functools import lru_cache

from django.core import signing
from django.http import HttpRequest
from django.utils.translation import gettext as _

HONEYPOT_FIELD = "ciam_website"
FORM_TOKEN_FIELD = "ciam_form_token"
_FORM_SALT = "ciam.fraud.protection.form"
# A page left open longer than this is an old page, not a bot: no timing signal.
_FORM_TOKEN_MAX_AGE = 24 * 3600
_MAX_EXAMINED = 512

# Tools that announce themselves. Browsers never send these.
_AUTOMATION = re.compile(
    r"curl/|wget/|python-requests|python-urllib|aiohttp|httpx|go-http-client|okhttp|"
    r"java/|apache-httpclient|libwww-perl|node-fetch|axios/|undici|scrapy|phantomjs|"
    r"selenium|webdriver|puppeteer|playwright|headlesschrome|electron/|"
    r"[a-z]*bot/|crawler|spider",
    re.I,
)
_HEADLESS = re.compile(r"headless", re.I)


@dataclass(frozen=True)
class BotSignal:
    key: str
    weight: float
    explanation: str

    def as_dict(self) -> dict:
        return {"key": self.key, "weight": round(self.weight, 4), "explanation": self.explanation}


@dataclass(frozen=True)
class BotCounts:
    """What the attempt's round trip read; None where the cache did not answer."""

    ip_failures: int | None = None
    network_failures: int | None = None
    signups_from_ip: int | None = None
    window_minutes: int = 15


@dataclass(frozen=True)
class BotAssessment:
    score: float
    signals: tuple[BotSignal, ...] = field(default_factory=tuple)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(s.key for s in self.signals)

    def as_dicts(self) -> list[dict]:
        return [s.as_dict() for s in self.signals]


def issue_form_token(flow: str) -> str:
    """A signed note of when a form of ``flow`` was shown (nothing secret in it)."""
    return signing.dumps({"f": flow, "t": int(time.time() * 1000)}, salt=_FORM_SALT)


def form_age_seconds(token: str, flow: str) -> float | None:
    """Seconds since the form was shown; None when the token is missing, forged, expired or
    for another flow."""
    if not token or len(token) > 200:
        return None
    try:
        data = signing.loads(token, salt=_FORM_SALT, max_age=_FORM_TOKEN_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("f") != flow or not isinstance(data.get("t"), int):
        return None
    return max(0.0, time.time() - data["t"] / 1000)


@lru_cache(maxsize=1)
def _disposable_domains() -> frozenset[str]:
    # The list of the disposable-email-domains package (updated on PyPI every few weeks:
    # `pip install -U disposable-email-domains`), read once per process.
    from disposable_email_domains import blocklist

    return frozenset(blocklist)


def is_disposable_email(email: str) -> bool:
    domain = (email or "").rpartition("@")[2].strip().lower().rstrip(".")
    if not domain:
        return False
    domains = _disposable_domains()
    # A subdomain of a listed domain is the same service.
    parts = domain.split(".")
    return any(".".join(parts[i:]) in domains for i in range(len(parts) - 1))


def _header_signals(request: HttpRequest):
    agent = request.META.get("HTTP_USER_AGENT", "")[:_MAX_EXAMINED]
    if not agent.strip():
        yield BotSignal("no_user_agent", 0.5, _("no user agent"))
    else:
        found = _AUTOMATION.search(agent)
        if found:
            yield BotSignal(
                "automation_user_agent",
                0.6,
                _("automation user agent: %s") % agent[:80],
            )
        elif _HEADLESS.search(request.META.get("HTTP_SEC_CH_UA", "")[:_MAX_EXAMINED]):
            yield BotSignal("headless_browser", 0.6, _("headless browser (Sec-CH-UA)"))
    missing = [
        name
        for name, meta in (
            ("Accept", "HTTP_ACCEPT"),
            ("Accept-Language", "HTTP_ACCEPT_LANGUAGE"),
            ("Accept-Encoding", "HTTP_ACCEPT_ENCODING"),
        )
        if not request.META.get(meta)
    ]
    if missing:
        yield BotSignal(
            "missing_browser_headers",
            0.1 * len(missing),
            _("missing browser headers: %s") % ", ".join(missing),
        )


def _form_signals(request: HttpRequest, flow: str, min_seconds: float):
    if request.POST.get(HONEYPOT_FIELD):
        yield BotSignal("honeypot", 1.0, _("hidden honeypot field filled in"))
    token = request.POST.get(FORM_TOKEN_FIELD, "")
    age = form_age_seconds(token, flow)
    if age is None:
        if token:
            yield BotSignal("form_token_invalid", 0.4, _("form token forged or expired"))
        else:
            yield BotSignal("form_token_missing", 0.3, _("form sent without loading the page"))
    elif age < min_seconds:
        yield BotSignal(
            "too_fast",
            0.3,
            _("form sent %(age).1f s after the page was shown (faster than %(min).1f s)")
            % {"age": age, "min": min_seconds},
        )


def _velocity_signals(counts: BotCounts, flow: str):
    minutes = counts.window_minutes
    ip = counts.ip_failures or 0
    if ip >= 10:
        yield BotSignal(
            "ip_velocity",
            0.5 if ip >= 30 else 0.3,
            _("%(count)d failed sign-ins from the IP in %(minutes)d min")
            % {"count": ip, "minutes": minutes},
        )
    network = counts.network_failures or 0
    if network >= 30 and network > ip:
        yield BotSignal(
            "network_velocity",
            0.3,
            _("%(count)d failed sign-ins from the network in %(minutes)d min")
            % {"count": network, "minutes": minutes},
        )
    signups = counts.signups_from_ip or 0
    if flow == "signup" and signups > 5:
        yield BotSignal(
            "signup_velocity",
            0.5 if signups > 20 else 0.3,
            _("%(count)d sign-ups from the IP this minute") % {"count": signups},
        )


def assess(
    request: HttpRequest,
    flow: str,
    *,
    counts: BotCounts | None = None,
    identifier: str = "",
    ip_rule=None,
    with_form: bool = False,
    min_form_seconds: float = 2.0,
) -> BotAssessment:
    """The bot score of ``request`` for ``flow``.

    ``with_form`` adds the signals of a submitted hosted form (honeypot, form token, speed);
    ``identifier`` is the email typed at sign-up (disposable domains); ``ip_rule`` is the
    risk engine's ``IPRuleMatch`` for the client address (a deny rule weighs).
    """
    raised: list[BotSignal] = list(_header_signals(request))
    if with_form:
        raised.extend(_form_signals(request, flow, min_form_seconds))
    raised.extend(_velocity_signals(counts or BotCounts(), flow))
    if flow == "signup" and is_disposable_email(identifier):
        domain = identifier.rpartition("@")[2].lower()[:100]
        raised.append(BotSignal("disposable_email", 0.6, _("disposable email domain: %s") % domain))
    if ip_rule is not None and ip_rule.action == "deny":
        label = ip_rule.note or ip_rule.network
        raised.append(BotSignal("denied_ip", 0.6, _("IP on the deny list: %s") % label))
    score = round(min(1.0, sum(s.weight for s in raised)), 4)
    return BotAssessment(score=score, signals=tuple(raised))
