"""The cache operations of one sign-in attempt, sent together.

A sign-in attempt reads its counters once before the password is checked and moves them once
after a failure. ``RoundTrip`` queues those reads and moves; on Redis ``run()`` sends them as
one MULTI/EXEC pipeline, one network round trip, atomic. On another backend (local memory in
the embedded default) they run one by one through Django's cache API; a process lock keeps the
token bucket exact there.

Counters hold integers only, written as Redis integers, so Django's cache API reads the same
values back (``cache.get`` on a counter answers an ``int``).

Errors are the caller's: the protections fail open on a cache outage (see ``gate``).

Counters count a client: an IPv4 address, or the /64 of an IPv6 address (``counted_address``),
since a single host is routinely handed a whole /64 and could rotate through it for free.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from typing import Any

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

# The token bucket as a GCRA: the key holds the "theoretical arrival time" (TAT) in ms, the
# moment the bucket would be full again. Spending one token pushes it by one interval. The key
# expires when the bucket is full, so an idle address costs nothing.
_SPEND_SCRIPT = """
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if tat < now then tat = now end
tat = tat + interval
redis.call('SET', KEYS[1], tat, 'PX', tat - now)
return tat
"""

_local_lock = threading.Lock()


def counted_address(ip: str) -> str:
    """What the counters of ``ip`` are keyed on: an IPv4 address itself, the /64 of an IPv6
    address ("2001:db8:1:2::/64"). Anything else is answered unchanged."""
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if addr.version == 4:
        return str(addr)
    return str(ipaddress.ip_network(f"{addr}/64", strict=False))


def recorded_address(ip: str) -> str:
    """What a row (a block, a throttled address) records for ``ip``: an IPv4 address itself,
    the first address of an IPv6 address's /64 ("2001:db8:1:2::"), which stands for the /64.
    ``counted_address`` of it is the /64 again, so a row finds its counters."""
    network = counted_address(ip)
    return network.split("/")[0] if "/" in network else network


def now_ms() -> int:
    return int(time.time() * 1000)


class RoundTrip:
    """Queue reads and counter moves, then ``run()`` them in one round trip.

    Each queuing method returns a slot; ``run()`` returns a list indexed by slot.
    """

    def __init__(self, cache=None) -> None:
        # The backend itself, not django.core.cache.cache: that is a proxy, and the Redis
        # pipeline needs to know it talks to Redis.
        self.cache = cache if cache is not None else caches["default"]
        self._ops: list[tuple[str, str, tuple]] = []

    def __len__(self) -> int:
        return len(self._ops)

    def _add(self, op: str, key: str, *args) -> int:
        self._ops.append((op, key, args))
        return len(self._ops) - 1

    def get(self, key: str) -> int:
        """The value at ``key`` (None when absent)."""
        return self._add("get", key)

    def incr(self, key: str, ttl: int, *, refresh: bool = False) -> int:
        """Add one to the counter at ``key``; the answer is the count after it.

        A new counter lives ``ttl`` seconds from its first increment (a fixed window); with
        ``refresh`` every increment restarts the ``ttl`` (it lives ``ttl`` after the last one).
        """
        return self._add("incr", key, int(ttl), refresh)

    def ttl(self, key: str) -> int:
        """Seconds ``key`` has left to live; None when unknown (absent, or no TTL support)."""
        return self._add("ttl", key)

    def spend(self, key: str, interval_ms: int) -> int:
        """Spend one token of the bucket at ``key``; the answer is its new TAT in ms."""
        return self._add("spend", key, int(interval_ms))

    def delete(self, key: str) -> int:
        return self._add("delete", key)

    def run(self) -> list[Any]:
        if not self._ops:
            return []
        if isinstance(self.cache, RedisCache):
            return self._run_redis()
        return [self._run_one(op, key, args) for op, key, args in self._ops]

    # --- Redis: one pipeline -----------------------------------------------------------------

    def _run_redis(self) -> list[Any]:
        client = self.cache._cache.get_client(write=True)
        serializer = self.cache._cache._serializer
        pipe = client.pipeline(transaction=True)
        # Where each op's answer lands in the pipeline's list of replies.
        positions = []
        now = now_ms()
        for op, key, args in self._ops:
            raw = self.cache.make_and_validate_key(key)
            if op == "get":
                pipe.get(raw)
            elif op == "incr":
                ttl, refresh = args
                pipe.set(raw, 0, ex=ttl, nx=True)
                pipe.incr(raw)
                if refresh:
                    pipe.expire(raw, ttl)
            elif op == "ttl":
                pipe.ttl(raw)
            elif op == "spend":
                pipe.eval(_SPEND_SCRIPT, 1, raw, now, args[0])
            elif op == "delete":
                pipe.delete(raw)
            positions.append(len(pipe.command_stack) - (2 if op == "incr" and args[1] else 1))
        replies = pipe.execute()
        results = []
        for (op, _key, _args), position in zip(self._ops, positions, strict=True):
            reply = replies[position]
            if op == "get":
                results.append(None if reply is None else serializer.loads(reply))
            elif op == "ttl":
                results.append(int(reply) if reply is not None and int(reply) >= 0 else None)
            else:
                results.append(int(reply))
        return results

    # --- Any other backend: Django's cache API ----------------------------------------------

    def _run_one(self, op: str, key: str, args: tuple) -> Any:
        cache = self.cache
        if op == "get":
            return cache.get(key)
        if op == "incr":
            ttl, refresh = args
            cache.add(key, 0, ttl)
            try:
                value = cache.incr(key)
            except ValueError:  # expired between add and incr: start a new window
                cache.add(key, 0, ttl)
                value = cache.incr(key)
            if refresh:
                cache.touch(key, ttl)
            return value
        if op == "ttl":
            return None
        if op == "spend":
            with _local_lock:
                now = now_ms()
                tat = max(int(cache.get(key) or 0), now) + args[0]
                cache.set(key, tat, max(1, (tat - now + 999) // 1000))
                return tat
        if op == "delete":
            return int(bool(cache.delete(key)))
        raise ValueError(op)
