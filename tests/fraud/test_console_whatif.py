"""Policy what-if: recorded sign-ins replayed through a policy's edited, unsaved thresholds,
counted by hand here."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from fraud.console.whatif import replay
from fraud.risk.engine import RaisedSignal, RiskAssessment
from fraud.risk.models import LoginPolicy
from fraud.risk.policy import decide

from .console_support import event, form_data, signals, write

pytestmark = pytest.mark.django_db

# (event type, score, signals, hours ago, extra data): what happened to each sign-in.
HISTORY = [
    ("login_succeeded", 0.10, (), 1, {}),
    ("login_succeeded", 0.25, ("new_device",), 2, {}),
    ("login_succeeded", 0.40, ("new_device", "new_network"), 3, {}),
    ("login_succeeded", 0.45, ("new_country",), 4, {}),
    ("login_succeeded", 0.30, ("impossible_travel",), 5, {"step_up_skipped": True}),
    ("step_up_requested", 0.55, ("new_device", "new_country"), 6, {}),
    ("step_up_requested", 0.65, ("new_country", "account_failures"), 7, {}),
    # The same sign-in as the step-up just above, once the code was right: not counted again.
    ("login_succeeded", 0.65, ("new_country", "account_failures"), 7, {"step_up_skipped": False}),
    ("login_denied", 0.75, ("new_country", "impossible_travel"), 8, {}),
    ("login_denied", 0.95, ("new_device", "untrusted_ip"), 9, {}),
    # Too old for a 2-day replay.
    ("login_denied", 0.95, ("untrusted_ip",), 60, {}),
    # Not sign-ins that reached the risk check.
    ("login_failed", None, (), 1, {}),
    ("step_up_passed", 0.55, ("new_device",), 6, {}),
]


@pytest.fixture
def history(user):
    now = timezone.now()
    return write(
        *[
            event(
                kind,
                now - timedelta(hours=hours),
                user=user,
                ip="203.0.113.7",
                score=score,
                signals=signals(*keys),
                verdict={"login_denied": "deny", "step_up_requested": "step_up"}.get(kind, "allow"),
                data=data,
            )
            for kind, score, keys, hours, data in HISTORY
        ]
    )


def test_the_default_thresholds_match_a_hand_count(history):
    result = replay(0.7, 0.5, ["impossible_travel"], days=2)
    # Sign-ins in 2 days: 5 allowed, 2 stepped up, 2 denied (the success after a step-up is
    # the same sign-in as its step-up).
    assert result.total == 9
    assert (result.actual("allow"), result.actual("step_up"), result.actual("deny")) == (5, 2, 2)
    # deny > 0.7: 0.75, 0.95. Step up: 0.55, 0.65 (score), 0.30 impossible travel (forced).
    assert (result.would("allow"), result.would("step_up"), result.would("deny")) == (4, 3, 2)
    assert result.matrix[("allow", "step_up")] == 1  # the impossible travel let through


def test_stricter_thresholds_match_a_hand_count(history):
    result = replay(0.5, 0.2, ["new_country"], days=2)
    # deny > 0.5: 0.55, 0.65, 0.75, 0.95 -> 4. Step up: 0.25, 0.30, 0.40 (score > 0.2) and
    # 0.45 (new country) -> 4. Allow: 0.10 -> 1.
    assert (result.would("allow"), result.would("step_up"), result.would("deny")) == (1, 4, 4)
    assert result.matrix == {
        ("allow", "allow"): 1,
        ("allow", "step_up"): 4,
        ("step_up", "deny"): 2,
        ("deny", "deny"): 2,
    }
    changes = {(c["actual"], c["would"]): c for c in result.changes()}
    assert set(changes) == {("allowed", "stepped up"), ("stepped up", "denied")}
    examples = changes[("stepped up", "denied")]["examples"]
    assert sorted(e.score for e in examples) == [0.55, 0.65]


def test_the_replay_agrees_with_the_policy_engine(history):
    """Every recorded sign-in, decided one by one by fraud.risk.policy.decide, adds up to the
    replay's counts."""
    policy = LoginPolicy(
        name="p", deny_above=0.6, step_up_above=0.3, force_step_up_signals=["new_device"]
    )
    counted = {"allow": 0, "step_up": 0, "deny": 0}
    for kind, score, keys, hours, data in HISTORY:
        if hours > 48 or score is None or kind == "step_up_passed":
            continue
        if kind == "login_succeeded" and data.get("step_up_skipped") is False:
            continue
        assessment = RiskAssessment(score, [RaisedSignal(k, 0.1, k) for k in keys])
        counted[decide(policy, assessment).action.name.lower()] += 1
    result = replay(0.6, 0.3, ["new_device"], days=2)
    assert {o: result.would(o) for o in counted} == counted


def test_from_the_policy_page_with_unsaved_thresholds(admin_client, history):
    policy = LoginPolicy.objects.create(name="Office hours")
    change = reverse("admin:ciam_fraud_loginpolicy_change", args=[policy.pk])
    page = admin_client.get(change)
    body = page.content.decode()
    what_if = reverse("admin:ciam_fraud_loginpolicy_what_if", args=[policy.pk])
    assert f'formaction="{what_if}"' in body
    data = form_data(page)
    data.update(
        deny_above="0.5",
        step_up_above="0.2",
        force_step_up_signals=["new_country"],
        whatif_days="2",
    )
    response = admin_client.post(what_if, data)
    assert response.status_code == 200
    result = response.context["result"]
    assert (result.would("allow"), result.would("step_up"), result.would("deny")) == (1, 4, 4)
    body = response.content.decode()
    assert "2 sign-ins stepped up would have been denied" in body
    assert reverse("admin:ciam_fraud_securityevent_change", args=[history[5].pk]) in body
    policy.refresh_from_db()
    assert (policy.deny_above, policy.step_up_above) == (0.7, 0.5)  # nothing saved


def test_from_the_add_page(admin_client, history):
    what_if = reverse("admin:ciam_fraud_loginpolicy_what_if")
    add = admin_client.get(reverse("admin:ciam_fraud_loginpolicy_add")).content.decode()
    assert f'formaction="{what_if}"' in add
    response = admin_client.post(
        what_if, {"deny_above": "0.7", "step_up_above": "0.5", "whatif_days": "2"}
    )
    assert response.status_code == 200
    assert response.context["result"].total == 9


@pytest.mark.parametrize(
    "changes, error",
    [
        ({"step_up_above": "0.9"}, "The step-up threshold cannot be above the deny threshold."),
        ({"deny_above": "1.5"}, "Ensure this value is less than or equal to 1.0."),
        ({"force_step_up_signals": ["teleportation"]}, "Select a valid choice."),
        ({"whatif_days": "0"}, "Ensure this value is greater than or equal to 1."),
        ({"whatif_days": "many"}, "Enter a whole number."),
    ],
)
def test_bad_thresholds_are_a_form_error(admin_client, history, changes, error):
    what_if = reverse("admin:ciam_fraud_loginpolicy_what_if")
    data = {"deny_above": "0.7", "step_up_above": "0.5", "whatif_days": "2", **changes}
    response = admin_client.post(what_if, data)
    assert response.status_code == 400
    assert error in response.content.decode()


def test_a_policy_that_does_not_exist(admin_client):
    what_if = reverse("admin:ciam_fraud_loginpolicy_what_if", args=[9999])
    assert admin_client.post(what_if, {}).status_code == 302


def test_staff_need_to_see_policies_and_events(client, make_user, history):
    from django.contrib.auth.models import Permission

    staff = make_user("clerk", is_staff=True)
    client.force_login(staff)
    what_if = reverse("admin:ciam_fraud_loginpolicy_what_if")
    data = {"deny_above": "0.7", "step_up_above": "0.5", "whatif_days": "2"}
    assert client.post(what_if, data).status_code == 403
    staff.user_permissions.add(Permission.objects.get(codename="view_loginpolicy"))
    assert client.post(what_if, data).status_code == 403
    staff.user_permissions.add(Permission.objects.get(codename="view_securityevent"))
    assert client.post(what_if, data).status_code == 200
