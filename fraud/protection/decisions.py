"""What each protection does once it decided: the refusal shown, the security event written,
the signal sent for the notifications app. Kept apart from ``gate`` (which decides)."""

from __future__ import annotations

from allauth.account.adapter import get_adapter
from allauth.account.internal.flows.login import derive_login_method
from django.http import HttpRequest
from django.utils.translation import gettext as _

from ciam.templatetags.ciam_ui import ciam_wait
from ciam.verdicts import Refusal

from ..events.models import EventType
from ..events.record import record_event
from . import brute_force, signals, throttle, unblock
from .captcha import Outcome, provider_for
from .models import AttackProtectionSettings, BruteForceBlock

SOURCE = "fraud.protection"


def _bot_fields(attempt) -> dict:
    if attempt is None or attempt.bot is None:
        return {}
    return {"score": attempt.bot.score, "signals": attempt.bot.as_dicts()}


# --- IP throttling ------------------------------------------------------------------------


def refuse_throttled(
    request: HttpRequest, ip: str, decision, protection: AttackProtectionSettings
) -> Refusal:
    if throttle.first_refusal_this_hour(decision.kind, ip):
        throttle.remember_throttled(ip, decision.kind)
        record_event(
            EventType.IP_THROTTLED,
            request=request,
            reason=f"{decision.kind} limit reached",
            data={"kind": decision.kind, "retry_after": decision.retry_after},
        )
        signals.ip_throttled.send(
            sender=None,
            request=request,
            ip=ip,
            kind=decision.kind,
            retry_after=decision.retry_after,
            notify_admins=protection.ip_throttling_notify_admins,
        )
    wait = ciam_wait(decision.retry_after)
    if decision.kind == throttle.SIGNUP:
        message = _("Too many sign-ups came from your network. You can try again in %s.") % wait
    else:
        message = (
            _("Too many failed sign-ins came from your network. You can try again in %s.") % wait
        )
    return Refusal(
        message=message,
        status=429,
        code="ip_throttled",
        retry_after=decision.retry_after,
        source=f"{SOURCE}.throttle",
    )


# --- Brute force --------------------------------------------------------------------------


def refuse_blocked(request: HttpRequest, attempt, verdict) -> Refusal:
    """The wrong-password message, whether or not the account exists; status 429."""
    method = derive_login_method(login=attempt.identifier)
    message = get_adapter(request).error_messages[f"{method.value}_password_mismatch"]
    return Refusal(
        message=str(message), status=429, code="brute_force_blocked", source=f"{SOURCE}.brute_force"
    )


def block_crossed(request: HttpRequest, guard, identifier: str, ip: str, pair, account) -> None:
    """After a failure: when it reached the threshold, write the block, log it, notify."""
    scope = guard.crossed(pair, account)
    if scope:
        failures = account if scope == "account" else pair
        _write_block(request, guard, identifier, ip, failures, scope == "account")


def refused_while_blocked(request: HttpRequest, attempt, verdict, guard, seen: dict) -> None:
    """A refused attempt on a blocked identifier. ``seen``: what the attempt's round trip read
    (whether the row was claimed, whether the user was told this hour).

    A block with no row yet (the threshold was lowered under existing counters) gets it now;
    otherwise the user is told again, at most once an hour per IP.
    """
    all_ips = verdict.scope == "account"
    if seen.get("account_row" if all_ips else "pair_row") is None:
        _write_block(request, guard, attempt.identifier, attempt.ip, verdict.failures, all_ips)
        return
    if seen.get("notified") is not None:
        return
    if brute_force.first_notice_this_hour(attempt.identifier_hash, attempt.ip):
        block = brute_force.active_block(attempt.identifier_hash, attempt.ip)
        if block is not None:
            _send_blocked(request, block, attempt.identifier, guard.protection)


def _write_block(request, guard, identifier: str, ip: str, failures: int, all_ips: bool):
    block = guard.write_block(identifier, ip, failures, all_ips)
    if block is None:  # another request wrote it
        return
    record_event(
        EventType.BRUTE_FORCE_BLOCK,
        request=request,
        user=block.user,
        identifier=identifier,
        reason="every IP" if all_ips else "this IP",
        data={
            "block": block.pk,
            "failures": failures,
            "enforced": guard.protection.brute_force_block,
        },
    )
    brute_force.start_notice_hour(block.identifier_hash, ip)
    _send_blocked(request, block, identifier, guard.protection)


def _send_blocked(request, block: BruteForceBlock, identifier: str, protection) -> None:
    user = block.user
    notify = protection.brute_force_notify_user and user is not None
    signals.brute_force_blocked.send(
        sender=type(user) if user is not None else None,
        request=request,
        user=user,
        identifier=identifier,
        ip=block.ip,
        block=block,
        all_ips=block.all_ips,
        notify_user=notify,
        unblock_url=unblock.link_for(request, block) if notify else "",
    )


# --- CAPTCHA ------------------------------------------------------------------------------


def check_captcha(request: HttpRequest, attempt, protection, mode: str) -> Refusal | None:
    """The bot score asks for a CAPTCHA (or the mode is Always): verify the answer."""
    attempt.captcha_required = True
    provider = provider_for(protection)
    result = provider.verify(request, attempt.flow)
    fields = _bot_fields(attempt)
    data = {"flow": attempt.flow, "provider": provider.key, "mode": mode}
    if result.score is not None:
        data["provider_score"] = result.score
    if result.outcome is Outcome.PASSED:
        attempt.captcha_required = False
        record_event(
            EventType.CAPTCHA_SOLVED,
            request=request,
            identifier=attempt.identifier,
            reason=result.reason,
            data=data,
            **fields,
        )
        return None
    if result.outcome is Outcome.MISSING:
        # The page shown again carries the widget; showing it is logged then.
        return Refusal(
            message=_("Complete the check below to continue."),
            status=400,
            code="captcha_required",
            source=f"{SOURCE}.captcha",
        )
    if result.outcome is Outcome.UNAVAILABLE:
        open_ = protection.fails_open(mode)
        data["outage"] = "failed open" if open_ else "failed closed"
        record_event(
            EventType.CAPTCHA_FAILED,
            request=request,
            identifier=attempt.identifier,
            reason=result.reason,
            data=data,
            **fields,
        )
        if open_:
            attempt.captcha_required = False
            return None
        return Refusal(
            message=_("We can't check that you're not a robot right now. Try again in a minute."),
            status=503,
            code="captcha_unavailable",
            retry_after=60,
            source=f"{SOURCE}.captcha",
        )
    record_event(
        EventType.CAPTCHA_FAILED,
        request=request,
        identifier=attempt.identifier,
        reason=result.reason,
        data=data,
        **fields,
    )
    return Refusal(
        message=_("The check that you're not a robot did not pass. Please try again."),
        status=400,
        code="captcha_failed",
        source=f"{SOURCE}.captcha",
    )


def lifted(
    request: HttpRequest | None, blocks: list[BruteForceBlock], reason: str, by=None
) -> None:
    """Blocks released early (by ``brute_force.release``): log each, tell the receivers.

    ``by``: the administrator who released them; the event then says who, and its address is
    the block's, not the administrator's.
    """
    for block in blocks:
        data = {"block": block.pk, "ip": block.ip, "all_ips": block.all_ips}
        if by is not None:
            data["by"] = by.get_username()
        record_event(
            EventType.UNBLOCKED,
            request=None if by is not None else request,
            ip=block.ip,
            user=block.user,
            reason=reason,
            data=data,
        )
        signals.brute_force_unblocked.send(
            sender=type(block.user) if block.user is not None else None,
            block=block,
            reason=reason,
            user=block.user,
            request=request,
        )
