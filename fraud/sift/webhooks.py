"""Sift decision webhooks: verify, record, and apply the administrator's action.

``POST /fraud/sift/webhook/`` with ``X-Sift-Science-Signature: sha1=<hex>`` (or ``sha256=``),
the HMAC of the raw body keyed with the webhook signature key. The signature is checked over
the raw bytes in constant time before anything is parsed. Answers: 200 recorded, 400 bad JSON
or shape (a ``time`` is required), 401 bad or missing signature (or no key configured), 405
anything but POST, 409 a ``time`` further from now than ``CIAM_SIFT_WEBHOOK_MAX_AGE``.

A signed request stays valid for ever, so replays are refused two ways: a decision dated
outside the window is refused (409), and one already recorded (same decision id, entity and
time: Sift retrying, or a replay inside the window) answers 200 with ``"duplicate": true`` and
applies nothing. A 2xx, because Sift retries any other answer.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import UTC, datetime

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ciam.sessions import end_all_sessions

from ..conf import settings
from .models import SiftDecision, SiftOutbox, SiftSettings
from .signals import sift_decision_applied

logger = logging.getLogger("ciam.fraud.sift")

SIGNATURE_HEADER = "X-Sift-Science-Signature"
_ALGORITHMS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256}
ENTITY_TYPES = {"user": "sift_user_id", "session": "sift_session_id"}


def signature_is_valid(raw_body: bytes, header: str, key: str) -> bool:
    """``sha1=<hex>`` or ``sha256=<hex>`` of the raw body, compared in constant time."""
    algorithm, _, given = (header or "").strip().partition("=")
    digest = _ALGORITHMS.get(algorithm.strip().lower())
    if not key or digest is None or not given:
        return False
    expected = hmac.new(key.encode(), raw_body, digest).hexdigest()
    return hmac.compare_digest(expected.encode(), given.strip().lower().encode())


def _error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


@csrf_exempt  # Sift cannot send a CSRF token; the HMAC signature authenticates the request.
@require_POST
def sift_webhook(request: HttpRequest) -> JsonResponse:
    sift_settings = SiftSettings.load()
    if not sift_settings.webhook_key:
        return _error("webhooks are not configured", 401)
    raw = request.body
    if not signature_is_valid(
        raw, request.headers.get(SIGNATURE_HEADER, ""), sift_settings.webhook_key
    ):
        logger.warning("Sift webhook refused: bad or missing signature")
        return _error("bad signature", 401)
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return _error("the body is not JSON", 400)
    parsed = _parse(data)
    if parsed is None:
        return _error("expected {entity: {type, id}, decision: {id}, time}", 400)
    entity_type, entity_id, decision_id, decided_at = parsed
    max_age = settings.SIFT_WEBHOOK_MAX_AGE
    if abs((timezone.now() - decided_at).total_seconds()) > max_age:
        logger.warning(
            "Sift webhook refused: decision %s dated %s, outside the %ss window (a replay?)",
            decision_id,
            decided_at.isoformat(),
            max_age,
        )
        return _error(
            f"the decision's time is more than {max_age / 60:g} minutes from now: refused as "
            "a possible replay",
            409,
        )
    decision = record_decision(sift_settings, entity_type, entity_id, decision_id, decided_at, data)
    if decision is None:
        return JsonResponse({"duplicate": True, "action": SiftDecision.Action.NONE})
    return JsonResponse({"recorded": decision.pk, "action": decision.action})


# Marks the view for the suite's request-level protections (throttling): Sift's servers are
# authenticated by the signature, and a burst of decisions must not be refused.
sift_webhook.ciam_rate_limit_exempt = True


def _parse(data):
    if not isinstance(data, dict):
        return None
    entity, decision = data.get("entity"), data.get("decision")
    if not isinstance(entity, dict) or not isinstance(decision, dict):
        return None
    entity_type, entity_id, decision_id = entity.get("type"), entity.get("id"), decision.get("id")
    if entity_type not in ENTITY_TYPES:
        return None
    if not isinstance(entity_id, str) or not entity_id or len(entity_id) > 200:
        return None
    if not isinstance(decision_id, str) or not decision_id or len(decision_id) > 100:
        return None
    when = data.get("time")
    if not isinstance(when, int | float) or isinstance(when, bool):
        return None
    try:
        decided_at = datetime.fromtimestamp(when / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return entity_type, entity_id, decision_id, decided_at


def find_user(entity_type: str, entity_id: str):
    """The user behind a Sift user id (hashed username) or session id, from the events this
    site sent (kept ``CIAM_SIFT_OUTBOX_RETENTION_DAYS``)."""
    user_id = (
        SiftOutbox.objects.filter(**{ENTITY_TYPES[entity_type]: entity_id}, user__isnull=False)
        .order_by("-created_at")
        .values_list("user_id", flat=True)
        .first()
    )
    if user_id is None:
        return None
    return get_user_model()._default_manager.filter(pk=user_id).first()


def record_decision(
    sift_settings, entity_type, entity_id, decision_id, decided_at, payload
) -> SiftDecision | None:
    """Record one decision and apply the administrator's action for it.

    None when the same decision (id, entity and time) is already recorded: nothing is
    applied a second time, even when two deliveries race (the unique constraint decides).
    """
    user = find_user(entity_type, entity_id)
    action = sift_settings.webhook_action(decision_id)
    note = ""
    if user is None:
        if action != SiftDecision.Action.NONE:
            note = "no user of this site matches the entity: nothing applied"
        action = SiftDecision.Action.NONE
    with transaction.atomic():
        try:
            # The row is written first and claims the delivery; a savepoint, so a duplicate
            # leaves nothing behind.
            with transaction.atomic():
                decision = SiftDecision.objects.create(
                    decided_at=decided_at,
                    decision_id=decision_id,
                    entity_type=entity_type,
                    entity_id=entity_id,
                    user=user,
                    action=action,
                    note=note,
                    payload=payload,
                )
        except IntegrityError:
            logger.info(
                "Sift decision %s on %s %s already recorded: ignored",
                decision_id,
                entity_type,
                entity_id[:12],
            )
            return None
        if action != SiftDecision.Action.NONE:
            decision.note = apply_action(user, action)[:300]
            decision.save(update_fields=["note"])
            sift_decision_applied.send(
                sender=type(user), decision=decision, user=user, action=action
            )
    logger.info("Sift decision %s on %s %s: %s", decision_id, entity_type, entity_id[:12], action)
    return decision


def apply_action(user, action: str) -> str:
    """Apply one action to a user; returns a note for the record."""
    if action == SiftDecision.Action.NONE:
        return ""
    if action == SiftDecision.Action.LOCK:
        user.is_active = False
        user.save(update_fields=["is_active"])
    elif action == SiftDecision.Action.REQUIRE_PASSWORD_RESET:
        # A new password hash also invalidates every session (Django checks the session's
        # auth hash); the user regains access through "forgot password".
        user.set_unusable_password()
        user.save(update_fields=["password"])
    ended = end_all_sessions(user)
    return f"{ended} session(s) ended"
