"""Policy what-if: what a login policy with other thresholds would have done with the sign-ins
already recorded.

Each sign-in that reached the risk check has its score and signals on its security event.
``replay`` runs ``fraud.risk.policy.decide``'s rule over them in the database (one GROUP BY,
whatever the number of sign-ins): a score above ``deny_above`` denies; else a signal of
``force_step_up_signals`` or a score above ``step_up_above`` asks for a second factor; else
allow. What actually happened is read from the event: denied, asked for a second factor, or
signed in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import BooleanField, Case, Count, Q, Value, When
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..events.models import EventType, SecurityEvent
from ..risk.models import LoginPolicy, Signal
from .metrics import DECISIONS, SIGN_IN_DECISION_TYPES

OUTCOMES = ("allow", "step_up", "deny")
OUTCOME_LABELS = {"allow": _("allowed"), "step_up": _("stepped up"), "deny": _("denied")}
EXAMPLES = 5
MAX_DAYS = 366


class WhatIfForm(forms.Form):
    """The thresholds to try (as typed in the policy's form, unsaved) and the period."""

    step_up_above = LoginPolicy._meta.get_field("step_up_above").formfield()
    deny_above = LoginPolicy._meta.get_field("deny_above").formfield()
    force_step_up_signals = forms.MultipleChoiceField(
        label=_("signals that always ask for a second factor"),
        choices=Signal.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    whatif_days = forms.IntegerField(
        label=_("over the last (days)"),
        min_value=1,
        max_value=MAX_DAYS,
        initial=30,
        help_text=_("Sign-ins older than the security event log's retention are gone."),
    )

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        # The policy's own rules: ranges, the step-up threshold not above the deny one.
        policy = LoginPolicy(
            name="what-if",
            step_up_above=data["step_up_above"],
            deny_above=data["deny_above"],
            force_step_up_signals=data["force_step_up_signals"],
        )
        try:
            policy.full_clean(exclude=["name"], validate_unique=False)
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                for message in messages:
                    self.add_error(name if name in self.fields else None, message)
        return data


@dataclass
class Replay:
    days: int
    deny_above: float
    step_up_above: float
    force_step_up_signals: list[str]
    # (actual, would) -> number of sign-ins
    matrix: dict[tuple[str, str], int] = field(default_factory=dict)
    # (actual, would) -> a few recent events where the two differ
    examples: dict[tuple[str, str], list[SecurityEvent]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.matrix.values())

    def actual(self, outcome: str) -> int:
        return sum(n for (a, _w), n in self.matrix.items() if a == outcome)

    def would(self, outcome: str) -> int:
        return sum(n for (_a, w), n in self.matrix.items() if w == outcome)

    def rows(self) -> list[dict]:
        """One row per outcome: what happened, what would have happened."""
        return [
            {
                "outcome": o,
                "label": OUTCOME_LABELS[o],
                "actual": self.actual(o),
                "would": self.would(o),
                "difference": self.would(o) - self.actual(o),
            }
            for o in OUTCOMES
        ]

    def changes(self) -> list[dict]:
        """Sign-ins the policy would have treated differently, with examples."""
        return [
            {
                "actual": OUTCOME_LABELS[a],
                "would": OUTCOME_LABELS[w],
                "count": self.matrix.get((a, w), 0),
                "examples": self.examples.get((a, w), []),
            }
            for a in OUTCOMES
            for w in OUTCOMES
            if a != w and self.matrix.get((a, w))
        ]


def _raised_any(keys: list[str], using: str):
    """A condition: the event's signals include one of ``keys``."""
    if not keys:
        return Value(False, output_field=BooleanField())
    if connections[using].vendor == "postgresql":
        condition = Q()
        for key in keys:
            condition |= Q(signals__contains=[{"key": key}])
        return condition
    quote = connections[using].ops.quote_name
    column = f"{quote(SecurityEvent._meta.db_table)}.{quote('signals')}"
    placeholders = ", ".join(["%s"] * len(keys))
    # The keys are parameters; only a quoted column name and placeholders are formatted in.
    sql = (
        f"EXISTS (SELECT 1 FROM json_each({column}) s "  # noqa: S608
        f"WHERE json_extract(s.value, '$.key') IN ({placeholders}))"
    )
    return RawSQL(sql, list(keys), output_field=BooleanField())  # noqa: S611


def replay(
    deny_above: float,
    step_up_above: float,
    force_step_up_signals: list[str],
    days: int,
    *,
    now=None,
    using: str = "default",
) -> Replay:
    """Replay the sign-ins of the last ``days`` days through these thresholds."""
    now = now or timezone.now()
    events = (
        SecurityEvent.objects.using(using)
        .filter(
            created_at__gte=now - timedelta(days=days),
            created_at__lte=now,
            type__in=SIGN_IN_DECISION_TYPES,
            score__isnull=False,
        )
        .filter(DECISIONS)
    )
    forced = _raised_any(list(force_step_up_signals), using)
    would = Case(
        When(score__gt=deny_above, then=Value("deny")),
        When(forced, then=Value("step_up")),
        When(score__gt=step_up_above, then=Value("step_up")),
        default=Value("allow"),
    )
    actual = Case(
        When(type=EventType.LOGIN_DENIED, then=Value("deny")),
        When(type=EventType.STEP_UP_REQUESTED, then=Value("step_up")),
        default=Value("allow"),
    )
    annotated = events.annotate(would=would, actual=actual)
    result = Replay(days, deny_above, step_up_above, list(force_step_up_signals))
    for row in annotated.order_by().values("actual", "would").annotate(n=Count("pk")):
        result.matrix[(row["actual"], row["would"])] = row["n"]
    for (a, w), _n in result.matrix.items():
        if a != w:
            result.examples[(a, w)] = list(
                annotated.filter(actual=a, would=w)
                .select_related("user")
                .order_by("-created_at")[:EXAMPLES]
            )
    return result
