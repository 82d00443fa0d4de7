"""CAPTCHA providers checked by their own servers: Cloudflare Turnstile, hCaptcha and Google
reCAPTCHA v2 and v3.

The only module of attack protection that imports ``requests`` for CAPTCHAs. Each check is one
form-encoded POST of the secret, the widget's answer and the client IP to the provider's
``siteverify`` URL, taken from settings (``CIAM_TURNSTILE_VERIFY_URL``,
``CIAM_HCAPTCHA_VERIFY_URL``, ``CIAM_RECAPTCHA_VERIFY_URL``) with the connect and read timeouts
of ``CIAM_CAPTCHA_TIMEOUT``. A timeout, a connection error, a 5xx, an answer that is not JSON,
or an error code that says the site's keys or the provider are broken is UNAVAILABLE (the
administrator's outage choice applies); anything else the provider refused is FAILED, including
answers a client can provoke (a 4xx such as 429, ``bad-request``, ``invalid-input-response``,
``timeout-or-duplicate``): those must never make "When risky" fail open. An answer longer than
Turnstile's maximum (2048 characters) fails without asking the provider.
"""

from __future__ import annotations

import logging

import requests
from django.http import HttpRequest

from ciam.client_ip import get_client_ip
from fraud.conf import settings as fraud_settings

from .base import CaptchaProvider, CaptchaResult, Outcome

logger = logging.getLogger("ciam.fraud.protection")

# Turnstile's maximum token length; the other providers' tokens are shorter.
MAX_ANSWER_LENGTH = 2048
# Error codes that blame the site's keys or the provider, never anything the client sent: only
# these make the check UNAVAILABLE (an attacker must not be able to make it fail open).
_BROKEN = {
    "missing-input-secret",
    "invalid-input-secret",
    "sitekey-secret-mismatch",
    "invalid-sitekey",
    "invalid-keys",
    "internal-error",
}


def _post(url: str, data: dict) -> tuple[dict | None, str]:
    """The provider's JSON answer, or (None, why) when it could not be had."""
    try:
        response = requests.post(url, data=data, timeout=fraud_settings.CAPTCHA_TIMEOUT)
    except requests.RequestException as exc:
        return None, f"{exc.__class__.__name__}"
    if response.status_code >= 500:
        return None, f"HTTP {response.status_code}"
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code >= 400:
        # A 4xx (429 included) answers what this client sent: a failure, not an outage,
        # unless its error codes blame the site's keys.
        codes = body.get("error-codes") if isinstance(body, dict) else None
        return {"success": False, "error-codes": codes or [f"http-{response.status_code}"]}, ""
    if not isinstance(body, dict):
        return None, f"HTTP {response.status_code}, not JSON"
    return body, ""


class RemoteCaptcha(CaptchaProvider):
    """A provider with a browser widget and a ``siteverify`` endpoint."""

    response_field = ""
    script_url = ""
    widget_class = ""

    def __init__(self, site_key: str, secret: str) -> None:
        self.site_key = site_key
        self.secret = secret

    @property
    def verify_url(self) -> str:
        raise NotImplementedError

    def widget_context(self, request: HttpRequest, flow: str) -> dict:
        return {
            "site_key": self.site_key,
            "script_url": self.script_url,
            "widget_class": self.widget_class,
            "response_field": self.response_field,
            "action": flow,
        }

    def verify(self, request: HttpRequest, flow: str) -> CaptchaResult:
        answer = request.POST.get(self.response_field, "")
        if not answer:
            return CaptchaResult(Outcome.MISSING, "no answer from the widget")
        if len(answer) > MAX_ANSWER_LENGTH:
            return CaptchaResult(Outcome.FAILED, "answer too long")
        data = {"secret": self.secret, "response": answer, "remoteip": get_client_ip(request)}
        body, problem = _post(self.verify_url, data)
        if body is None:
            logger.error("%s verification unavailable: %s", self.key, problem)
            return CaptchaResult(Outcome.UNAVAILABLE, f"{self.key} unavailable: {problem}")
        codes = [str(c) for c in body.get("error-codes") or [] if isinstance(c, str)]
        if set(codes) & _BROKEN:
            logger.error("%s refused the site's configuration: %s", self.key, ", ".join(codes))
            return CaptchaResult(Outcome.UNAVAILABLE, f"{self.key}: {', '.join(codes)}")
        if body.get("success") is not True:
            return CaptchaResult(Outcome.FAILED, ", ".join(codes) or "not solved")
        return self.judge(body, flow)

    def judge(self, body: dict, flow: str) -> CaptchaResult:
        """What a successful answer means (reCAPTCHA v3 also weighs its score)."""
        return CaptchaResult(Outcome.PASSED, f"{self.key} solved")


class Turnstile(RemoteCaptcha):
    key = "turnstile"
    template = "fraud/captcha/widget.html"
    response_field = "cf-turnstile-response"
    script_url = "https://challenges.cloudflare.com/turnstile/v0/api.js"
    widget_class = "cf-turnstile"

    @property
    def verify_url(self) -> str:
        return fraud_settings.TURNSTILE_VERIFY_URL


class HCaptcha(RemoteCaptcha):
    key = "hcaptcha"
    template = "fraud/captcha/widget.html"
    response_field = "h-captcha-response"
    script_url = "https://js.hcaptcha.com/1/api.js"
    widget_class = "h-captcha"

    @property
    def verify_url(self) -> str:
        return fraud_settings.HCAPTCHA_VERIFY_URL


class RecaptchaV2(RemoteCaptcha):
    key = "recaptcha_v2"
    template = "fraud/captcha/widget.html"
    response_field = "g-recaptcha-response"
    script_url = "https://www.google.com/recaptcha/api.js"
    widget_class = "g-recaptcha"

    @property
    def verify_url(self) -> str:
        return fraud_settings.RECAPTCHA_VERIFY_URL


class RecaptchaV3(RecaptchaV2):
    """Invisible: the page asks Google for a token on submit; the answer carries a score."""

    key = "recaptcha_v3"
    template = "fraud/captcha/recaptcha_v3.html"

    def __init__(self, site_key: str, secret: str, min_score: float) -> None:
        super().__init__(site_key, secret)
        self.min_score = float(min_score)

    def judge(self, body: dict, flow: str) -> CaptchaResult:
        score = body.get("score")
        if not isinstance(score, int | float) or isinstance(score, bool):
            return CaptchaResult(Outcome.FAILED, "no score in the answer")
        action = body.get("action")
        if action and action != flow:
            return CaptchaResult(Outcome.FAILED, f"token for action {str(action)[:40]}", score)
        if score < self.min_score:
            return CaptchaResult(
                Outcome.FAILED, f"score {score:.2f} below {self.min_score:.2f}", float(score)
            )
        return CaptchaResult(Outcome.PASSED, f"score {score:.2f}", float(score))
