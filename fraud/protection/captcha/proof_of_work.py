"""The built-in CAPTCHA: a proof of work the browser solves, with no third party.

The server signs a challenge (a random nonce, the difficulty in bits, the flow, the time); the
page's script (``fraud/static/fraud/pow.js``) finds a counter such that SHA-256 of
``challenge + ":" + counter`` starts with that many zero bits, with SubtleCrypto, and sends it
with the form. Checking costs one hash. A challenge is good for ``CHALLENGE_MAX_AGE`` seconds
and once: its nonce is marked used in the shared cache.

Bots can pay the price too; what it buys is that each attempt costs a second of CPU instead
of a millisecond, which makes credential stuffing at scale expensive.
"""

from __future__ import annotations

import hashlib
import logging
import secrets

from django.core import signing
from django.core.cache import cache
from django.http import HttpRequest

from .base import CaptchaProvider, CaptchaResult, Outcome

logger = logging.getLogger("ciam.fraud.protection")

CHALLENGE_FIELD = "ciam_pow_challenge"
SOLUTION_FIELD = "ciam_pow_solution"
CHALLENGE_MAX_AGE = 15 * 60
_SALT = "ciam.fraud.protection.pow"
_MAX_SOLUTION_LENGTH = 20


def issue_challenge(flow: str, difficulty: int) -> str:
    """A signed challenge for one form of ``flow``."""
    return signing.dumps({"n": secrets.token_urlsafe(12), "d": difficulty, "f": flow}, salt=_SALT)


def leading_zero_bits_at_least(digest: bytes, bits: int) -> bool:
    return int.from_bytes(digest, "big") >> (len(digest) * 8 - bits) == 0


def solves(challenge: str, solution: str, bits: int) -> bool:
    digest = hashlib.sha256(f"{challenge}:{solution}".encode()).digest()
    return leading_zero_bits_at_least(digest, bits)


def solve(challenge: str, bits: int) -> str:
    """What the page's script does, in Python (tests and benchmarks)."""
    counter = 0
    while not solves(challenge, str(counter), bits):
        counter += 1
    return str(counter)


class ProofOfWork(CaptchaProvider):
    key = "pow"
    template = "fraud/captcha/proof_of_work.html"

    def __init__(self, difficulty: int) -> None:
        self.difficulty = int(difficulty)

    def widget_context(self, request: HttpRequest, flow: str) -> dict:
        return {
            "challenge": issue_challenge(flow, self.difficulty),
            "difficulty": self.difficulty,
            "challenge_field": CHALLENGE_FIELD,
            "solution_field": SOLUTION_FIELD,
        }

    def verify(self, request: HttpRequest, flow: str) -> CaptchaResult:
        challenge = request.POST.get(CHALLENGE_FIELD, "")
        solution = request.POST.get(SOLUTION_FIELD, "")
        if not challenge or not solution:
            return CaptchaResult(Outcome.MISSING, "no proof of work sent")
        if len(challenge) > 300 or len(solution) > _MAX_SOLUTION_LENGTH or not solution.isdigit():
            return CaptchaResult(Outcome.FAILED, "malformed proof of work")
        try:
            data = signing.loads(challenge, salt=_SALT, max_age=CHALLENGE_MAX_AGE)
        except signing.SignatureExpired:
            return CaptchaResult(Outcome.FAILED, "challenge expired")
        except signing.BadSignature:
            return CaptchaResult(Outcome.FAILED, "challenge forged")
        if not isinstance(data, dict) or data.get("f") != flow:
            return CaptchaResult(Outcome.FAILED, "challenge for another form")
        bits = data.get("d")
        if not isinstance(bits, int) or not 1 <= bits <= 32:
            return CaptchaResult(Outcome.FAILED, "challenge forged")
        if not solves(challenge, solution, bits):
            return CaptchaResult(Outcome.FAILED, "wrong proof of work")
        if not self._first_use(str(data.get("n", ""))):
            return CaptchaResult(Outcome.FAILED, "challenge already used")
        return CaptchaResult(Outcome.PASSED, f"proof of work, {bits} bits")

    def _first_use(self, nonce: str) -> bool:
        try:
            return bool(cache.add(f"ciam:pow:used:{nonce}", 1, CHALLENGE_MAX_AGE))
        except Exception as exc:
            # The work was done and checked; only replay protection is lost while the cache
            # is down, so the answer stands.
            logger.error("Cache unavailable for the proof-of-work replay check: %s", exc)
            return True
