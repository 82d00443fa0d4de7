"""What the Security Center counts, as database expressions shared by the roll-up task and the
live part of the page: each count is one GROUP BY query over a time range of events.

- ``type:<event type>`` for every event;
- ``verdict:<allow|step_up|deny>:<enforced|monitored>`` once per sign-in that reached the risk
  check (see ``DECISIONS``);
- ``sift:<0..9>``, Sift's score of those sign-ins in tenths, when a Sift policy asked;
- per attack source (address, network, typed identifier), the events of ``ATTACK_TYPES``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from django.db import connections
from django.db.models import Count, ExpressionWrapper, FloatField, IntegerField, Max, Q, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Floor, Least, TruncDay, TruncHour

from ..events.models import EventType, SecurityEvent

EVENTS = "events"

# Events that say someone is attacking: wrong passwords, refusals, blocks, denies.
ATTACK_TYPES = (
    EventType.LOGIN_FAILED,
    EventType.LOGIN_BLOCKED,
    EventType.LOGIN_DENIED,
    EventType.STEP_UP_FAILED,
    EventType.CAPTCHA_FAILED,
    EventType.BRUTE_FORCE_BLOCK,
    EventType.IP_THROTTLED,
    EventType.SIGNUP_BLOCKED,
    EventType.PASSWORD_RESET_BLOCKED,
)

# One row per sign-in that passed the password and reached the risk check: a deny, a step-up
# asked for, or a success. A success after a step-up (``step_up_skipped`` False) is the same
# sign-in as its ``step_up_requested`` row and is left out.
SIGN_IN_DECISION_TYPES = (
    EventType.LOGIN_SUCCEEDED,
    EventType.LOGIN_DENIED,
    EventType.STEP_UP_REQUESTED,
)
DECISIONS = Q(type__in=[EventType.LOGIN_DENIED, EventType.STEP_UP_REQUESTED]) | Q(
    Q(data__step_up_skipped__isnull=True) | Q(data__step_up_skipped=True),
    type=EventType.LOGIN_SUCCEEDED,
)

SIFT_BINS = 10
SOURCE_FIELDS = {"ip": "ip", "network": "network", "account": "identifier_hash"}

_SIFT_SCORE_SQL = {
    # The score of the verdict whose source is "sift" in ``data["verdicts"]``.
    "postgresql": (
        "jsonb_path_query_first({data}, "
        '\'$.verdicts[*] ? (@.source == "sift" && @.score.type() == "number").score\')::float'
    ),
    "sqlite": (
        "(SELECT json_extract(v.value, '$.score') FROM json_each({data}, '$.verdicts') v "
        "WHERE json_extract(v.value, '$.source') = 'sift' "
        "AND json_type(v.value, '$.score') IN ('integer', 'real') LIMIT 1)"
    ),
}


def sift_score(using: str = "default") -> RawSQL | None:
    """Sift's score of a sign-in event as an expression; None on databases without JSON
    path support here (the Sift chart is then empty)."""
    vendor = connections[using].vendor
    template = _SIFT_SCORE_SQL.get(vendor)
    if template is None:
        return None
    quote = connections[using].ops.quote_name
    column = f"{quote(SecurityEvent._meta.db_table)}.{quote('data')}"
    # Only constant text and quoted names: nothing from a request reaches this SQL.
    return RawSQL(template.format(data=column), [], output_field=FloatField())  # noqa: S611


def _bucket(granularity: str, tzinfo):
    trunc = TruncHour if granularity == "hour" else TruncDay
    return trunc("created_at", tzinfo=tzinfo)


def metric_counts(
    start: datetime, end: datetime, granularity: str = "hour", tzinfo=UTC, using="default"
) -> Iterator[tuple[datetime, str, int]]:
    """``(bucket start, metric, count)`` for the events in ``[start, end)``: four GROUP BY
    queries, whatever the number of events."""
    events = SecurityEvent.objects.using(using).filter(created_at__gte=start, created_at__lt=end)
    bucket = _bucket(granularity, tzinfo)
    for row in events.annotate(bucket=bucket).values("bucket").annotate(n=Count("pk")):
        yield row["bucket"], EVENTS, row["n"]
    by_type = events.annotate(bucket=bucket).values("bucket", "type").annotate(n=Count("pk"))
    for row in by_type:
        yield row["bucket"], f"type:{row['type']}", row["n"]
    decisions = events.filter(DECISIONS).exclude(verdict="")
    by_verdict = (
        decisions.annotate(bucket=bucket)
        .values("bucket", "verdict", "enforced")
        .annotate(n=Count("pk"))
    )
    for row in by_verdict:
        mode = "enforced" if row["enforced"] else "monitored"
        yield row["bucket"], f"verdict:{row['verdict']}:{mode}", row["n"]
    score = sift_score(using)
    if score is None:
        return
    binned = (
        decisions.annotate(sift=score)
        .filter(sift__isnull=False)
        .annotate(
            bucket=bucket,
            bin=Cast(
                Least(Floor(ExpressionWrapper(score * Value(SIFT_BINS), FloatField())), Value(9.0)),
                IntegerField(),
            ),
        )
        .values("bucket", "bin")
        .annotate(n=Count("pk"))
    )
    for row in binned:
        yield row["bucket"], f"sift:{max(0, row['bin'])}", row["n"]


def source_counts(
    kind: str, start: datetime, end: datetime, limit: int | None = None, using="default"
):
    """Attack events per address, network or account in ``[start, end)``, busiest first, as
    rows ``{"key", "n", "user"}`` (``user``: an account's user id when an event knew it)."""
    field = SOURCE_FIELDS[kind]
    events = SecurityEvent.objects.using(using).filter(
        created_at__gte=start, created_at__lt=end, type__in=ATTACK_TYPES
    )
    # An address column holds NULL when unknown; the text columns hold "".
    events = events.exclude(ip__isnull=True) if field == "ip" else events.exclude(**{field: ""})
    # An account is named when one of its events knew the user; an address has no one user.
    named = {"user": Max("user")} if kind == "account" else {}
    rows = events.values(field).annotate(n=Count("pk"), **named).order_by("-n", field)
    for row in rows[:limit] if limit else rows:
        row["key"] = row.pop(field)
        row.setdefault("user", None)
        yield row
