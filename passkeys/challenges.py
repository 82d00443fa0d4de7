"""Pending challenges: issued for one browser session and one ceremony, used at most once,
valid for the administrator's timeout.

The challenge lives in the database, not in the session: two requests of one session that
race with the same answer would both find it in their copy of the session, whereas only one of
them can delete the row.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from ciam.device import get_session_id

from . import ceremony
from .models import Challenge, PasskeySettings

# One page may start several prompts (autofill, then the button); a session never needs more.
MAX_PENDING_PER_SESSION = 10


@dataclass(frozen=True)
class PendingChallenge:
    challenge: bytes
    user_id: int | None
    data: dict


def _digest(challenge: bytes) -> str:
    return hashlib.sha256(challenge).hexdigest()


def issue(request: HttpRequest, ceremony_name: str, user=None, data: dict | None = None) -> bytes:
    """A fresh challenge for this session and ceremony (and user, when the ceremony is for a
    known account). Only this session's oldest pending challenges beyond the cap are deleted
    here; expired ones of every session go in the periodic ``purge_expired``."""
    timeout = PasskeySettings.load().challenge_timeout
    session = get_session_id(request)
    now = timezone.now()
    challenge = ceremony.new_challenge()
    stale = Challenge.objects.filter(session=session).order_by("-expires_at")
    stale_ids = list(stale.values_list("pk", flat=True)[MAX_PENDING_PER_SESSION - 1 :])
    if stale_ids:
        Challenge.objects.filter(pk__in=stale_ids).delete()
    Challenge.objects.create(
        digest=_digest(challenge),
        challenge=challenge,
        session=session,
        ceremony=ceremony_name,
        user=user,
        data=data or {},
        expires_at=now + timedelta(seconds=timeout),
    )
    return challenge


def consume(request: HttpRequest, ceremony_name: str, answered: bytes) -> PendingChallenge | None:
    """Take the challenge the browser answered, if it was issued to this session for this
    ceremony and has not expired; None otherwise (unknown, replayed, expired, other session).

    The row is deleted whatever happens next, so an answer is never checked twice. Inside the
    caller's transaction when there is one (no savepoint), so the caller may lock more rows
    in the same round trip.
    """
    session = get_session_id(request)
    with transaction.atomic(savepoint=False):
        row = (
            Challenge.objects.select_for_update()
            .filter(digest=_digest(answered), session=session, ceremony=ceremony_name)
            .first()
        )
        if row is None:
            return None
        # The delete's row count decides between racing requests, on any database.
        deleted, _ = Challenge.objects.filter(pk=row.pk).delete()
    if not deleted or row.expires_at <= timezone.now():
        return None
    return PendingChallenge(challenge=bytes(row.challenge), user_id=row.user_id, data=row.data)


def purge_expired() -> int:
    """Delete the challenges past their expiry (never answered); returns how many. Run by the
    periodic task ``passkeys.purge_expired_challenges``, off the request path: an expired
    challenge is refused by ``consume`` whether or not its row is still there."""
    deleted, _ = Challenge.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted
