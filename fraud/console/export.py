"""CSV files of the console, streamed row by row so that a million events never sit in memory.

Cells that a spreadsheet would run as a formula (text starting with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return: user agents and identifiers come from attackers) are prefixed with
a quote, as OWASP advises against CSV injection.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from datetime import datetime

from django.contrib.auth import get_user_model
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

CHUNK_SIZE = 2000
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    """A file-like object whose ``write`` hands the line back (Django's streaming CSV recipe)."""

    def write(self, value):
        return value


def cell(value) -> str | int | float:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | dict):
        value = json.dumps(value, sort_keys=True, default=str)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def csv_lines(header: list[str], rows: Iterable[Iterable]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([cell(v) for v in row])


def csv_response(lines: Iterator[str], name: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
    return response


def event_rows(queryset, chunk_size: int = CHUNK_SIZE) -> tuple[list[str], Iterator[tuple]]:
    """The header and the rows of a CSV of security events, in the queryset's order; the rows
    are read from the database ``chunk_size`` at a time (a server-side cursor on PostgreSQL)."""
    username = f"user__{get_user_model().USERNAME_FIELD}"
    columns = [
        (_("time"), "created_at"),
        (_("type"), "type"),
        (_("user"), username),
        (_("identifier (hashed)"), "identifier_hash"),
        (_("IP address"), "ip"),
        (_("network"), "network"),
        (_("country"), "country"),
        (_("risk score"), "score"),
        (_("risk signals"), "signals"),
        (_("verdict"), "verdict"),
        (_("enforced"), "enforced"),
        (_("policy"), "policy"),
        (_("reason"), "reason"),
        (_("device (hashed)"), "device_hash"),
        (_("user agent"), "user_agent"),
        (_("details"), "data"),
    ]
    fields = [field for _label, field in columns]
    signals_at = fields.index("signals")
    values = queryset.values_list(*fields)

    def rows():
        for row in values.iterator(chunk_size=chunk_size):
            row = list(row)
            row[signals_at] = " ".join(
                str(s.get("key", "")) for s in row[signals_at] or [] if isinstance(s, dict)
            )
            yield row

    return [str(label) for label, _field in columns], rows()
