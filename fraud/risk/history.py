"""What a user's past tells about a new sign-in, read in one query.

Every look-up is an EXISTS or a LIMIT 1 on an index (KnownDevice's unique (user, device),
the security events' partial (user, network) and (user, country) indexes of successful
sign-ins, and (user, created_at)), so the cost does not grow with the user's history.

The query is written in SQL on purpose: the ORM spends about 2 ms building six correlated
subqueries, the database 10 µs answering them, and this runs on every sign-in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import connections, router
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from ciam.models import KnownDevice

from ..events.models import EventType, SecurityEvent


@dataclass(frozen=True)
class SignInHistory:
    has_devices: bool = False  # any device on record for the user
    device_seen: bool = False  # this device, trusted, seen within the period
    has_sign_ins: bool = False  # any successful sign-in in the event log
    network_seen: bool = False
    country_seen: bool = False
    last_ip: str | None = None
    last_at: datetime | None = None


_SQL_BY_VENDOR: dict[str, str] = {}


def _history_sql(connection) -> str:
    sql = _SQL_BY_VENDOR.get(connection.vendor)
    if sql is None:
        sql = _SQL_BY_VENDOR[connection.vendor] = _build_sql(connection.ops.quote_name)
    return sql


def _build_sql(quote) -> str:
    def table(model):
        return quote(model._meta.db_table)

    def col(model, name):
        return quote(model._meta.get_field(name).column)

    # Only table and column names from the models and one constant are formatted in; every
    # value is a query parameter.
    def devices(extra=""):
        return f"SELECT 1 FROM {table(KnownDevice)} WHERE {col(KnownDevice, 'user')} = %s{extra}"  # noqa: S608

    # A literal, not a parameter, so the planners can match the partial indexes' condition.
    signed_in = (
        f"{col(SecurityEvent, 'type')} = '{EventType.LOGIN_SUCCEEDED.value}' "
        f"AND {col(SecurityEvent, 'user')} = %s"
    )
    events = table(SecurityEvent)
    seen = (
        f" AND {col(KnownDevice, 'device_hash')} = %s AND {col(KnownDevice, 'trusted')} = %s"
        f" AND {col(KnownDevice, 'last_seen_at')} >= %s"
    )
    return (
        "SELECT"  # noqa: S608
        f" EXISTS({devices()}),"
        f" EXISTS({devices(seen)}),"
        f" EXISTS(SELECT 1 FROM {events} WHERE {signed_in}"
        f" AND {col(SecurityEvent, 'network')} = %s),"
        f" EXISTS(SELECT 1 FROM {events} WHERE {signed_in}"
        f" AND {col(SecurityEvent, 'country')} = %s),"
        " last.ip, last.created_at"
        " FROM (SELECT 1 AS one) AS base LEFT JOIN ("
        f"SELECT {col(SecurityEvent, 'ip')} AS ip, {col(SecurityEvent, 'created_at')} AS created_at"
        f" FROM {events} WHERE {signed_in}"
        f" ORDER BY {col(SecurityEvent, 'created_at')} DESC LIMIT 1"
        ") AS last ON 1 = 1"
    )


def _aware(value) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):  # SQLite answers text
        value = parse_datetime(value)
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return value


def load_history(
    user, *, device_hash: str, device_days: int, network: str, country: str
) -> SignInHistory:
    """The facts about ``user``'s past sign-ins the risk engine needs, in one query."""
    connection = connections[router.db_for_read(SecurityEvent)]
    since = timezone.now() - timedelta(days=device_days)
    params = [
        user.pk,
        user.pk,
        device_hash,
        True,
        connection.ops.adapt_datetimefield_value(since),
        user.pk,
        network,
        user.pk,
        country,
        user.pk,
    ]
    with connection.cursor() as cursor:
        cursor.execute(_history_sql(connection), params)
        devices, device_seen, network_seen, country_seen, last_ip, last_at = cursor.fetchone()
    last_at = _aware(last_at)
    return SignInHistory(
        has_devices=bool(devices),
        device_seen=bool(device_seen),
        has_sign_ins=last_at is not None,
        network_seen=bool(network and network_seen),
        country_seen=bool(country and country_seen),
        last_ip=last_ip,
        last_at=last_at,
    )
