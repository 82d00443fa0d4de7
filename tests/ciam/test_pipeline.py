"""The login pipeline end to end through allauth's login view: pre-authentication refusals,
risk-check verdicts and their enforcement."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from ciam import signals
from ciam.models import LoginSettings
from ciam.verdicts import Refusal, Verdict

LOGIN = "/accounts/login/"


def login(client, identifier, password, **extra):
    return client.post(LOGIN, {"login": identifier, "password": password}, **extra)


@pytest.fixture
def verdict_receiver(connect_receiver):
    """Make the risk check return the given verdicts; records the contexts it saw."""
    seen = []

    def install(*verdicts):
        for verdict in verdicts:

            def receiver(sender, context, verdict=verdict, **kwargs):
                seen.append(context)
                return verdict

            connect_receiver(signals.risk_check_requested, receiver)
        return seen

    return install


@pytest.mark.django_db
def test_allow_signs_in_and_hands_receivers_the_context(client, user, password, verdict_receiver):
    seen = verdict_receiver(Verdict.allow(source="test"))
    response = login(client, "alice", password, REMOTE_ADDR="203.0.113.9", HTTP_USER_AGENT="UA/1")
    assert response.status_code == 302
    assert response["Location"] == reverse("ciam:account_security")
    assert client.get(reverse("ciam:account_security")).status_code == 200
    (context,) = seen
    assert context.user == user
    assert context.method == "password"
    assert context.identifier == "alice"
    assert context.ip == "203.0.113.9"
    assert context.user_agent == "UA/1"
    assert len(context.device_id) >= 20
    assert len(context.session_id) == 32


@pytest.mark.django_db
def test_session_id_survives_the_key_rotation_at_sign_in(client, user, password, verdict_receiver):
    seen = verdict_receiver(Verdict.allow())
    login(client, "alice", password)
    client.post(reverse("account_logout"))  # keeps the browser's cookies, as a user would
    login(client, "alice@example.com", password)
    first, second = seen
    assert first.session_id != second.session_id  # a new browser session after logout
    assert first.device_id == second.device_id  # but the same browser


@pytest.mark.django_db
def test_deny_shows_the_deny_page_and_no_session(client, user, password, verdict_receiver):
    verdict_receiver(Verdict.allow(), Verdict.deny(source="test"))
    response = login(client, "alice", password)
    assert response.status_code == 403
    body = response.content.decode()
    assert "Login Restricted" in body
    assert "Your login attempt was identified as suspicious." in body
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("ciam:account_security")).status_code == 302


@pytest.mark.django_db
def test_deny_uses_the_verdicts_status_and_message(client, user, password, verdict_receiver):
    verdict_receiver(Verdict.deny(status=401, title="Nope", message="Call the help desk."))
    response = login(client, "alice", password)
    assert response.status_code == 401
    assert "Call the help desk." in response.content.decode()


@pytest.mark.django_db
def test_deny_page_texts_come_from_the_admin(client, user, password, verdict_receiver):
    LoginSettings.objects.update_or_create(
        pk=1, defaults={"deny_title": "Blocked", "deny_message": "Not today.", "deny_status": 451}
    )
    verdict_receiver(Verdict.deny())
    response = login(client, "alice", password)
    assert response.status_code == 451
    assert "Not today." in response.content.decode()


@pytest.mark.django_db
def test_monitored_deny_is_not_enforced(client, user, password, verdict_receiver, connect_receiver):
    completed = []
    connect_receiver(signals.risk_check_completed, lambda sender, **kw: completed.append(kw))
    verdict_receiver(Verdict.deny(source="policy", monitor=True))
    response = login(client, "alice", password)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
    assert completed[0]["verdict"].action.name == "ALLOW"
    (ours,) = [v for v in completed[0]["verdicts"] if v.source == "policy"]
    assert ours.monitor is True


@pytest.mark.django_db
def test_step_up_without_a_second_factor_is_denied_by_default(
    client, user, password, verdict_receiver
):
    verdict_receiver(Verdict.step_up(source="test"))
    response = login(client, "alice", password)
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_step_up_fallback_can_let_users_without_mfa_through(
    client, user, password, verdict_receiver
):
    LoginSettings.objects.update_or_create(pk=1, defaults={"step_up_fallback": "allow"})
    verdict_receiver(Verdict.step_up(source="test"))
    response = login(client, "alice", password)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


@pytest.mark.django_db
def test_step_up_with_totp_asks_for_the_code(client, user, password, verdict_receiver):
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    verdict_receiver(Verdict.step_up(source="test"))
    response = login(client, "alice", password)
    assert response.status_code == 302
    assert response["Location"] == reverse("ciam:step_up")
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_a_broken_receiver_does_not_lock_users_out(client, user, password, connect_receiver):
    def broken(sender, context, **kwargs):
        raise RuntimeError("bug in a site's policy")

    connect_receiver(signals.risk_check_requested, broken)
    assert login(client, "alice", password).status_code == 302


@pytest.mark.django_db
@pytest.mark.parametrize("identifier", ["alice", "nobody-here"])
def test_pre_authentication_refusal_is_429_and_the_same_for_unknown_accounts(
    client, user, identifier, connect_receiver
):
    calls = []

    def throttle(sender, request, flow, identifier, **kwargs):
        calls.append((flow, identifier))
        return Refusal("Too many attempts. Try again later.", status=429, retry_after=900)

    connect_receiver(signals.authentication_attempted, throttle)
    response = login(client, identifier, "whatever")
    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    assert "Too many attempts. Try again later." in response.content.decode()
    assert calls == [("login", identifier)]
    # The typed identifier is kept in the form: nothing the user typed is lost.
    assert f'value="{identifier}"' in response.content.decode()


@pytest.mark.django_db
def test_wrong_password_is_a_400_with_the_form_and_no_enumeration(client, user):
    known = login(client, "alice@example.com", "wrong password")
    unknown = login(client, "nobody@example.com", "wrong password")
    assert known.status_code == unknown.status_code == 400
    assert known.context["form"].errors == unknown.context["form"].errors
