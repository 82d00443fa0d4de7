"""A Redis cache that answers like an empty cache while Redis is unreachable.

Counters of brute force, throttling and velocity, allauth's rate limits and the suite's
"at most once an hour" keys all live in the cache. When Redis is down, sign-ins go on (every
protection that counts fails open) instead of answering 500; the outage is logged once a
minute per process. Use it as the ``BACKEND`` of ``CACHES["default"]``.
"""

from __future__ import annotations

import logging
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger("ciam.cache")
_LOG_EVERY = 60.0


class FailOpenRedisCache(RedisCache):
    _last_logged = 0.0

    def _outage(self, operation: str, error: Exception, answer):
        now = time.monotonic()
        if now - FailOpenRedisCache._last_logged > _LOG_EVERY:
            FailOpenRedisCache._last_logged = now
            logger.error("cache unavailable (%s: %s): failing open", operation, error)
        return answer

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().add(key, value, timeout, version)
        except RedisError as error:
            return self._outage("add", error, True)

    def get(self, key, default=None, version=None):
        try:
            return super().get(key, default, version)
        except RedisError as error:
            return self._outage("get", error, default)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().set(key, value, timeout, version)
        except RedisError as error:
            return self._outage("set", error, None)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().touch(key, timeout, version)
        except RedisError as error:
            return self._outage("touch", error, False)

    def delete(self, key, version=None):
        try:
            return super().delete(key, version)
        except RedisError as error:
            return self._outage("delete", error, False)

    def get_many(self, keys, version=None):
        try:
            return super().get_many(keys, version)
        except RedisError as error:
            return self._outage("get_many", error, {})

    def has_key(self, key, version=None):
        try:
            return super().has_key(key, version)
        except RedisError as error:
            return self._outage("has_key", error, False)

    def incr(self, key, delta=1, version=None):
        try:
            return super().incr(key, delta, version)
        except RedisError as error:
            return self._outage("incr", error, delta)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().set_many(data, timeout, version)
        except RedisError as error:
            return self._outage("set_many", error, list(data))

    def delete_many(self, keys, version=None):
        try:
            return super().delete_many(keys, version)
        except RedisError as error:
            return self._outage("delete_many", error, None)
