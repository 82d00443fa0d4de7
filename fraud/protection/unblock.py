"""Unblock links: signed, expiring, single-use links that lift one brute-force block.

A link carries ``TimestampSigner``'s signature of a random token id; the id's
``UnblockToken`` row is the single-use marker. ``redeem`` checks the signature and the age in
constant time (Django's signer), then marks the row used and releases the block inside one
transaction with the row locked, so two clicks release once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.core import signing
from django.db import transaction
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
    """A new signed token for ``block`` (one database insert)."""
    row = UnblockToken.objects.create(block=block)
    return _signer().sign(row.token_id)


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
        token_id = _signer().unsign(token, max_age=LINK_MAX_AGE)
    except signing.SignatureExpired:
        return Redemption(problem="expired")
    except signing.BadSignature:
        return Redemption(problem="invalid")
    with transaction.atomic():
        rows = UnblockToken.objects.select_related("block")
        if use:
            rows = rows.select_for_update()
        row = rows.filter(token_id=token_id).first()
        if row is None:
            return Redemption(problem="invalid")
        if row.used_at is not None:
            return Redemption(row.block, problem="used")
        if not row.block.is_active:
            return Redemption(row.block, problem="ended")
        if not use:
            return Redemption(row.block)
        row.used_at = timezone.now()
        row.save(update_fields=["used_at"])
        brute_force.release([row.block], BruteForceBlock.Release.LINK)
    return Redemption(row.block)
