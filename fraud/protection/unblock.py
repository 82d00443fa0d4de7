"""Unblock links: signed, expiring, single-use links that lift one brute-force block.

A link carries ``TimestampSigner``'s signature of "<block id>.<random token id>". Making a link
writes nothing: a link goes into an email that may never be sent (the notification is off or
rate-limited), so the ``UnblockToken`` row, the single-use marker, is written when the link is
used. ``redeem`` checks the signature and the age in constant time (Django's signer), then,
inside one transaction with the block row locked, writes the marker (its token id is unique)
and releases the block, so two clicks release once.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

from django.core import signing
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from . import brute_force
from .models import BruteForceBlock, UnblockToken

logger = logging.getLogger("ciam.fraud.protection")

LINK_MAX_AGE = 7 * 24 * 3600
_SALT = "ciam.fraud.protection.unblock"
_MAX_TOKEN_LENGTH = 200


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=_SALT)


def make_token(block: BruteForceBlock) -> str:
    """A new signed token for ``block``; writes nothing."""
    return _signer().sign(f"{block.pk}.{secrets.token_urlsafe(24)}")


def link_for(request: HttpRequest, block: BruteForceBlock) -> str:
    """The absolute unblock URL for ``block``; "" when ``fraud.urls`` is not in the site's URLs
    (system check ``fraud.W020`` says so)."""
    token = make_token(block)
    try:
        path = reverse("ciam_fraud:unblock", args=[token])
    except NoReverseMatch:
        logger.warning("fraud.urls is not included: brute-force emails carry no unblock link")
        return ""
    return request.build_absolute_uri(path)


@dataclass(frozen=True)
class Redemption:
    """``problem``: "" on success, else "invalid", "expired", "used" or "ended"."""

    block: BruteForceBlock | None = None
    problem: str = ""


def peek(token: str) -> Redemption:
    """Whether ``token`` would unblock, without using it (for the confirmation page)."""
    return _check(token, use=False)


def redeem(token: str) -> Redemption:
    """Use ``token``: release its block. Safe to call twice; the second answers "used"."""
    return _check(token, use=True)


def _check(token: str, *, use: bool) -> Redemption:
    if not token or len(token) > _MAX_TOKEN_LENGTH:
        return Redemption(problem="invalid")
    try:
        value = _signer().unsign(token, max_age=LINK_MAX_AGE)
    except signing.SignatureExpired:
        return Redemption(problem="expired")
    except signing.BadSignature:
        return Redemption(problem="invalid")
    block_id, _, token_id = value.partition(".")
    if not block_id.isdigit() or not token_id:
        return Redemption(problem="invalid")
    with transaction.atomic():
        blocks = BruteForceBlock.objects.select_for_update() if use else BruteForceBlock.objects
        block = blocks.filter(pk=int(block_id)).first()
        if block is None:
            return Redemption(problem="invalid")
        if UnblockToken.objects.filter(token_id=token_id).exists():
            return Redemption(block, problem="used")
        if not block.is_active:
            return Redemption(block, problem="ended")
        if not use:
            return Redemption(block)
        try:
            with transaction.atomic():  # a savepoint: the unique token id says "used"
                UnblockToken.objects.create(block=block, token_id=token_id, used_at=timezone.now())
        except IntegrityError:
            return Redemption(block, problem="used")
        brute_force.release([block], BruteForceBlock.Release.LINK)
    return Redemption(block)
