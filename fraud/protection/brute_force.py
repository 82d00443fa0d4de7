"""Brute-force protection: per identifier and IP.

The counter ``ciam:bf:<identifier hash>:<ip>`` counts consecutive failed sign-ins for what was
typed, from one client (an IPv4 address, or an IPv6 /64: ``counters.counted_address``; the
block row records the /64's first address); it lives 30 days after the last failure and a
successful sign-in deletes it. At ``brute_force_threshold`` (10) the pair is blocked: the
failure that crossed it writes one ``BruteForceBlock`` row (the counter's INCR answers exactly
one request with the threshold; the row is written by whoever first claims ``ciam:bf:row:...``,
so concurrent attempts write one row). With account lockout on, the counter
``ciam:bf:<identifier hash>`` (failures from every IP) blocks the identifier everywhere.

A blocked attempt gets the wrong-password message with status 429: the answer is the same
whether or not the account exists. The block ends 30 days after the last failure (the counter
expires), or when it is released: by an administrator, by the unblock link, or by a password
reset or change; releasing deletes the counters.

The rows also survive a cache flush: when the marker key ``ciam:bf:epoch`` is missing from the
cache (a flush, a new Redis), the counters of blocks still in force are written back from the
database. While the cache is unreachable, the rows are what is enforced.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ciam.device import hash_identifier

from .counters import RoundTrip, counted_address, recorded_address
from .models import BLOCK_DAYS, AttackProtectionSettings, BruteForceBlock

logger = logging.getLogger("ciam.fraud.protection")

BLOCK_SECONDS = BLOCK_DAYS * 24 * 3600
NOTIFY_EVERY_SECONDS = 3600
EPOCH_KEY = "ciam:bf:epoch"


def _short(identifier_hash: str) -> str:
    return identifier_hash[:40]


def pair_key(identifier_hash: str, ip: str) -> str:
    return f"ciam:bf:{_short(identifier_hash)}:{counted_address(ip)}"


def account_key(identifier_hash: str) -> str:
    return f"ciam:bf:{_short(identifier_hash)}"


def notified_key(identifier_hash: str, ip: str) -> str:
    return f"ciam:bf:notified:{_short(identifier_hash)}:{counted_address(ip)}"


def row_key(identifier_hash: str, ip: str, all_ips: bool) -> str:
    """Claimed by the one request that writes the block row."""
    if all_ips:
        return f"ciam:bf:row:{_short(identifier_hash)}"
    return f"ciam:bf:row:{_short(identifier_hash)}:{counted_address(ip)}"


@dataclass(frozen=True)
class BruteForceDecision:
    """``scope``: "ip" (this identifier from this IP) or "account" (from every IP)."""

    blocked: bool = False
    scope: str = ""
    failures: int = 0
    enforced: bool = True


def account_for(identifier: str):
    """The active account ``identifier`` (a username or an email address) names, or None."""
    from allauth.account.utils import filter_users_by_email, filter_users_by_username

    identifier = (identifier or "").strip()
    if not identifier:
        return None
    if "@" in identifier:
        users = filter_users_by_email(identifier, is_active=True, prefer_verified=True)
        return users[0] if users else None
    return filter_users_by_username(identifier).filter(is_active=True).first()


class BruteForceGuard:
    def __init__(self, protection: AttackProtectionSettings) -> None:
        self.protection = protection
        self.threshold = protection.brute_force_threshold
        self.lock_all_ips = protection.brute_force_lock_all_ips

    # --- before the password check ----------------------------------------------------------

    def queue_read(self, trip: RoundTrip, identifier_hash: str, ip: str) -> dict[str, int]:
        """The counters, whether the block rows were written, whether the user was told this
        hour, and the flush marker: one round trip with the attempt's other reads."""
        return {
            "pair": trip.get(pair_key(identifier_hash, ip)),
            "account": trip.get(account_key(identifier_hash)),
            "pair_row": trip.get(row_key(identifier_hash, ip, False)),
            "account_row": trip.get(row_key(identifier_hash, ip, True)),
            "notified": trip.get(notified_key(identifier_hash, ip)),
            "epoch": trip.get(EPOCH_KEY),
        }

    def decision(self, pair: int | None, account: int | None) -> BruteForceDecision:
        pair, account = int(pair or 0), int(account or 0)
        enforced = self.protection.brute_force_block
        # With account lockout the identifier's counter (every IP) reaches the threshold no
        # later than any one IP's: it is the block.
        if self.lock_all_ips and account >= self.threshold:
            return BruteForceDecision(True, "account", account, enforced)
        if pair >= self.threshold:
            return BruteForceDecision(True, "ip", pair, enforced)
        return BruteForceDecision(False, "", pair)

    def decision_from_database(self, identifier_hash: str, ip: str) -> BruteForceDecision:
        """While the cache is down: the blocks on record (one indexed query)."""
        blocks = BruteForceBlock.objects.active().filter(identifier_hash=identifier_hash)
        mine = Q(ip=recorded_address(ip)) | Q(all_ips=True)
        block = blocks.filter(mine).only("all_ips", "failures").first()
        if block is None:
            return BruteForceDecision()
        scope = "account" if block.all_ips else "ip"
        return BruteForceDecision(True, scope, block.failures, self.protection.brute_force_block)

    # --- after a failed password ------------------------------------------------------------

    def queue_failure(self, trip: RoundTrip, identifier_hash: str, ip: str) -> tuple[int, int]:
        return (
            trip.incr(pair_key(identifier_hash, ip), BLOCK_SECONDS, refresh=True),
            trip.incr(account_key(identifier_hash), BLOCK_SECONDS, refresh=True),
        )

    def crossed(self, pair: int, account: int) -> str:
        """ "ip", "account" or "": the block this failure started by reaching the threshold."""
        if self.lock_all_ips:
            return "account" if account == self.threshold else ""
        return "ip" if pair == self.threshold else ""

    def write_block(
        self, identifier: str, ip: str, failures: int, all_ips: bool
    ) -> BruteForceBlock | None:
        """Write the block row, unless another request already claimed it."""
        identifier_hash = hash_identifier(identifier)
        if not cache.add(row_key(identifier_hash, ip, all_ips), 1, BLOCK_SECONDS):
            return None
        now = timezone.now()
        return BruteForceBlock.objects.create(
            identifier_hash=identifier_hash,
            ip=recorded_address(ip),
            all_ips=all_ips,
            user=account_for(identifier),
            failures=failures,
            blocked_at=now,
            last_failure_at=now,
            expires_at=now + timedelta(days=BLOCK_DAYS),
        )

    # --- after a successful sign-in ---------------------------------------------------------

    @staticmethod
    def queue_reset(trip: RoundTrip, identifier_hash: str, ip: str) -> None:
        """A successful sign-in: the consecutive failures of this identifier start again from
        0, from this IP and from every IP (with the sign-in's other moves)."""
        trip.delete(pair_key(identifier_hash, ip))
        trip.delete(account_key(identifier_hash))


def first_notice_this_hour(identifier_hash: str, ip: str) -> bool:
    """True at most once an hour per identifier and IP: when the user may be emailed."""
    try:
        return bool(cache.add(notified_key(identifier_hash, ip), 1, NOTIFY_EVERY_SECONDS))
    except Exception as exc:
        logger.error("Cache unavailable for the brute-force notice: %s", exc)
        return False


def start_notice_hour(identifier_hash: str, ip: str) -> None:
    """A new block is always notified; the next notice waits an hour."""
    cache.set(notified_key(identifier_hash, ip), 1, NOTIFY_EVERY_SECONDS)


def active_block(identifier_hash: str, ip: str) -> BruteForceBlock | None:
    blocks = BruteForceBlock.objects.active().filter(identifier_hash=identifier_hash)
    mine = Q(ip=recorded_address(ip)) | Q(all_ips=True)
    return blocks.filter(mine).order_by("-blocked_at").first()


def release(blocks, reason: str, by=None) -> list[BruteForceBlock]:
    """End ``blocks`` (rows or a queryset) now: mark them and delete their counters.

    Answers the rows that were still in force (released now), for the event log.
    """
    now = timezone.now()
    released = []
    with transaction.atomic():
        for block in (
            BruteForceBlock.objects.select_for_update()
            .filter(pk__in=[b.pk for b in blocks], released_at__isnull=True)
            .order_by("pk")
        ):
            block.released_at = now
            block.release_reason = reason
            block.released_by = by if getattr(by, "pk", None) else None
            block.save(update_fields=["released_at", "release_reason", "released_by"])
            released.append(block)
    keys = set()
    for block in released:
        keys.add(pair_key(block.identifier_hash, block.ip))
        keys.add(account_key(block.identifier_hash))
        keys.add(notified_key(block.identifier_hash, block.ip))
        keys.add(row_key(block.identifier_hash, block.ip, block.all_ips))
    if keys:
        try:
            cache.delete_many(sorted(keys))
        except Exception as exc:
            logger.error("Cache unavailable while releasing brute-force blocks: %s", exc)
    return released


def identifier_hashes_of(user) -> set[str]:
    """What ``user`` may type to sign in: the username and every email address, hashed."""
    from allauth.account.models import EmailAddress

    typed = {user.get_username(), getattr(user, "email", "") or ""}
    typed |= set(EmailAddress.objects.filter(user=user).values_list("email", flat=True))
    return {hash_identifier(value) for value in typed if value}


def blocks_of(user):
    """Blocks in force against ``user``, by account or by anything they may type."""
    return BruteForceBlock.objects.active().filter(
        Q(user=user) | Q(identifier_hash__in=identifier_hashes_of(user))
    )


def restore_from_database() -> int:
    """Write back the counters of the blocks in force (after a cache flush); answers how many."""
    now = timezone.now()
    values: dict[str, tuple[int, int]] = {}
    for block in BruteForceBlock.objects.active(now).only(
        "identifier_hash", "ip", "all_ips", "failures", "expires_at"
    ):
        ttl = max(1, int((block.expires_at - now).total_seconds()))
        h = block.identifier_hash
        counter = account_key(h) if block.all_ips else pair_key(h, block.ip)
        values[counter] = (max(block.failures, 1), ttl)
        values[row_key(h, block.ip, block.all_ips)] = (1, ttl)
    for key, (value, ttl) in values.items():
        # add(): a counter that came back meanwhile is the fresher one.
        cache.add(key, value, ttl)
    cache.set(EPOCH_KEY, 1, None)
    return len(values) // 2
