"""Backup codes: one django-otp ``StaticDevice`` per user, each token usable once."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

BACKUP_CODE_COUNT = 10


def remaining_backup_codes(user) -> int | None:
    """How many unused backup codes the user has: None when they never generated any, 0 when
    every code was used. One query."""
    counts = StaticDevice.objects.filter(user=user, confirmed=True).aggregate(
        devices=Count("pk", distinct=True), codes=Count("token_set")
    )
    return counts["codes"] if counts["devices"] else None


@transaction.atomic
def regenerate_backup_codes(user) -> list[str]:
    """Replace the user's backup codes with ``BACKUP_CODE_COUNT`` new ones and return them.

    The list returned is the only time the codes are shown; the old codes stop working at
    once.
    """
    device = StaticDevice.objects.select_for_update().filter(user=user).order_by("pk").first()
    if device is None:
        device = StaticDevice.objects.create(user=user, name=_("Backup codes"), confirmed=True)
    elif not device.confirmed:
        device.confirmed = True
        device.save(update_fields=["confirmed"])
    # A user has one set of backup codes; strays from older set-ups would keep old codes alive.
    StaticDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _i in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def delete_backup_codes(user) -> bool:
    """Remove the user's backup codes; True when there were any."""
    deleted, _by_model = StaticDevice.objects.filter(user=user).delete()
    return bool(deleted)
