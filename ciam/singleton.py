"""Administrator settings: one row per model, read through a cached accessor.

A warm process answers from memory and re-reads the row after ``CIAM_SETTINGS_CACHE_SECONDS``
(one query per process every few seconds, none per request); the process that saves a change
sees it at once. The row is not put in the shared cache, which would hold decrypted secrets.
"""

from __future__ import annotations

import time

from django.db import models

_local: dict[str, tuple[float, models.Model]] = {}


class SingletonModel(models.Model):
    """A model with exactly one row (pk 1), loaded with ``Model.load()``."""

    singleton_pk = 1

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.pk = self.singleton_pk
        super().save(*args, **kwargs)
        type(self).clear_cache()

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        type(self).clear_cache()
        return result

    @classmethod
    def load(cls):
        """The settings row, created with its defaults on first use."""
        from .conf import settings

        key = cls._meta.label_lower
        now = time.monotonic()
        hit = _local.get(key)
        if hit and hit[0] > now:
            return hit[1]
        obj, _ = cls.objects.get_or_create(pk=cls.singleton_pk)
        _local[key] = (now + settings.SETTINGS_CACHE_SECONDS, obj)
        return obj

    @classmethod
    def clear_cache(cls) -> None:
        _local.pop(cls._meta.label_lower, None)


def clear_all_settings_caches() -> None:
    """Forget every process-local copy (tests use it between cases)."""
    _local.clear()
