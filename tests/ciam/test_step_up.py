"""The step-up page of a sign-in, through allauth's login view and real django-otp devices:
codes from the app and backup codes, throttling, "recently verified on this browser",
cancelling. (A user without a second factor is covered in test_pipeline.py.)"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from ciam import signals
from ciam.device import device_hash
from ciam.mfa.backup_codes import regenerate_backup_codes
from ciam.models import KnownDevice, LoginSettings
from ciam.verdicts import Verdict

LOGIN = "/accounts/login/"
STEP_UP = reverse("ciam:step_up")
SECURITY = reverse("ciam:account_security")


def totp_code(device: TOTPDevice) -> str:
    """The code the user's app shows now; the next step's code when the current one was
    already used (django-otp accepts one step of clock skew but never the same step twice)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    if totp.t() <= device.last_t:
        totp.time = totp.time + device.step * (device.last_t + 1 - totp.t())
    return f"{totp.token():0{device.digits}d}"


def wrong_code(device: TOTPDevice) -> str:
    return f"{(int(totp_code(device)) + 1) % 10**device.digits:0{device.digits}d}"


def login(client, password, identifier="alice"):
    return client.post(LOGIN, {"login": identifier, "password": password})


@pytest.fixture
def totp(user):
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


@pytest.fixture
def step_up_verdict(connect_receiver):
    """Every sign-in gets the given verdict (STEP_UP unless told otherwise)."""
    holder = {"verdict": Verdict.step_up(source="test", reason="unusual")}

    def receiver(sender, context, **kwargs):
        return holder["verdict"]

    connect_receiver(signals.risk_check_requested, receiver)
    return holder


@pytest.fixture
def completed(connect_receiver):
    """Records every ``step_up_completed`` as (method, succeeded)."""
    seen = []
    connect_receiver(
        signals.step_up_completed,
        lambda sender, request, user, method, succeeded, **kw: seen.append((method, succeeded)),
    )
    return seen


@pytest.mark.django_db
def test_step_up_with_the_app_signs_in_verified(
    client, user, password, totp, step_up_verdict, completed
):
    response = login(client, password)
    assert response.status_code == 302
    assert response["Location"] == STEP_UP

    page = client.get(STEP_UP)
    assert page.status_code == 200
    assert 'name="token"' in page.content.decode()

    wrong = client.post(STEP_UP, {"token": wrong_code(totp)})
    assert wrong.status_code == 400
    assert "That code is not valid" in wrong.content.decode()
    assert "_auth_user_id" not in client.session
    assert completed == [("totp", False)]

    # A wrong code waits one second (django-otp's throttle); pretend the second passed.
    TOTPDevice.objects.filter(pk=totp.pk).update(
        throttling_failure_timestamp=timezone.now() - timedelta(seconds=5)
    )
    right = client.post(STEP_UP, {"token": totp_code(totp)})
    assert right.status_code == 302
    assert right["Location"] == SECURITY
    assert completed == [("totp", False), ("totp", True)]

    after = client.get(SECURITY)
    assert after.status_code == 200
    assert after.wsgi_request.user == user
    assert after.wsgi_request.user.is_verified()
    # The browser is remembered as verified (ciam.receivers on step_up_completed).
    known = KnownDevice.objects.get(user=user)
    assert known.verified_at is not None
    assert known.device_hash == device_hash(client.cookies["ciam_device"].value.split(":")[0])


@pytest.mark.django_db
def test_a_sign_in_without_step_up_is_not_otp_verified(client, user, password, totp):
    assert login(client, password)["Location"] == SECURITY
    assert not client.get(SECURITY).wsgi_request.user.is_verified()


@pytest.mark.django_db
def test_the_page_needs_a_paused_sign_in(client, user, totp):
    response = client.get(STEP_UP)
    assert response.status_code == 302
    assert response["Location"] == reverse("account_login")
    assert client.post(STEP_UP, {"token": totp_code(totp)})["Location"] == reverse("account_login")
    assert TOTPDevice.objects.get(pk=totp.pk).last_t == -1  # nothing was checked


@pytest.mark.django_db
def test_a_backup_code_works_once(client, user, password, totp, step_up_verdict, completed):
    step_up_verdict["verdict"] = Verdict.step_up(data={"force": True})
    code = regenerate_backup_codes(user)[3]

    login(client, password)
    # People copy codes with capitals and spaces.
    typed = f"{code[:4].upper()} {code[4:].upper()}"
    response = client.post(STEP_UP, {"token": typed})
    assert response.status_code == 302
    assert response["Location"] == SECURITY
    assert client.get(SECURITY).wsgi_request.user.is_verified()
    assert completed == [("backup_code", True)]
    assert StaticToken.objects.filter(device__user=user).count() == 9

    client.post(reverse("account_logout"))
    login(client, password)
    again = client.post(STEP_UP, {"token": code})
    assert again.status_code == 400
    assert "That code is not valid" in again.content.decode()
    assert "_auth_user_id" not in client.session
    assert completed[-1] == ("backup_code", False)


@pytest.mark.django_db
def test_repeated_failures_are_throttled_with_a_clear_wait(
    client, user, password, totp, step_up_verdict, settings
):
    # 60 s after the first failure, doubling after each further one: no test timing involved.
    settings.OTP_TOTP_THROTTLE_FACTOR = 60
    login(client, password)
    assert client.post(STEP_UP, {"token": wrong_code(totp)}).status_code == 400

    throttled = client.post(STEP_UP, {"token": totp_code(totp)})
    assert throttled.status_code == 429
    assert 1 <= int(throttled["Retry-After"]) <= 60
    body = throttled.content.decode()
    assert "Too many failed attempts. Wait" in body
    assert "seconds and try again" in body
    assert "_auth_user_id" not in client.session
    # The throttled attempt checked nothing: the right code was not used up.
    assert TOTPDevice.objects.get(pk=totp.pk).throttling_failure_count == 1

    # The wait is over: the right code works again.
    TOTPDevice.objects.filter(pk=totp.pk).update(
        throttling_failure_timestamp=timezone.now() - timedelta(seconds=61)
    )
    assert client.post(STEP_UP, {"token": totp_code(totp)})["Location"] == SECURITY


@pytest.mark.django_db
def test_long_throttles_are_told_in_big_units(client, user, password, totp, step_up_verdict):
    TOTPDevice.objects.filter(pk=totp.pk).update(
        throttling_failure_count=14, throttling_failure_timestamp=timezone.now()
    )
    login(client, password)
    response = client.post(STEP_UP, {"token": totp_code(totp)})
    assert response.status_code == 429
    assert "Wait 3 hours and try again" in response.content.decode()  # 2**13 s = 2.3 h


@pytest.mark.django_db
def test_backup_codes_are_throttled_apart_from_the_app(
    client, user, password, totp, step_up_verdict, settings
):
    settings.OTP_TOTP_THROTTLE_FACTOR = 60
    code = regenerate_backup_codes(user)[0]
    login(client, password)
    client.post(STEP_UP, {"token": wrong_code(totp)})
    assert client.post(STEP_UP, {"token": totp_code(totp)}).status_code == 429
    # A locked app does not lock the way out that backup codes are for.
    assert client.post(STEP_UP, {"token": code})["Location"] == SECURITY


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("x" * 500, "That is too long to be a code."),
        ("12ab!?", "Enter the 6-digit code from your app, or one of your backup codes."),
        ("", "Enter the code."),
    ],
)
def test_malformed_codes_are_a_400_and_count_for_nothing(
    client, user, password, totp, step_up_verdict, completed, token, message
):
    login(client, password)
    response = client.post(STEP_UP, {"token": token})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert completed == []
    assert TOTPDevice.objects.get(pk=totp.pk).throttling_failure_count == 0


@pytest.mark.django_db
def test_a_recently_verified_browser_is_not_asked_again(
    client, user, password, totp, step_up_verdict
):
    login(client, password)
    client.post(STEP_UP, {"token": totp_code(totp)})
    client.post(reverse("account_logout"))

    response = login(client, password)
    assert response["Location"] == SECURITY
    assert client.session["_auth_user_id"] == str(user.pk)

    # Another browser has no such memory.
    other = Client()
    assert login(other, password)["Location"] == STEP_UP


@pytest.mark.django_db
def test_a_forced_step_up_asks_even_a_recently_verified_browser(
    client, user, password, totp, step_up_verdict
):
    login(client, password)
    client.post(STEP_UP, {"token": totp_code(totp)})
    client.post(reverse("account_logout"))

    step_up_verdict["verdict"] = Verdict.step_up(source="test", data={"force": True})
    assert login(client, password)["Location"] == STEP_UP


@pytest.mark.django_db
def test_the_memory_lasts_the_configured_hours(client, user, password, totp, step_up_verdict):
    LoginSettings.objects.update_or_create(pk=1, defaults={"step_up_remember_hours": 2})
    login(client, password)
    client.post(STEP_UP, {"token": totp_code(totp)})
    client.post(reverse("account_logout"))

    KnownDevice.objects.filter(user=user).update(
        verified_at=timezone.now() - timedelta(hours=2, minutes=1)
    )
    assert login(client, password)["Location"] == STEP_UP


@pytest.mark.django_db
def test_zero_hours_asks_every_time(client, user, password, totp, step_up_verdict):
    LoginSettings.objects.update_or_create(pk=1, defaults={"step_up_remember_hours": 0})
    login(client, password)
    client.post(STEP_UP, {"token": totp_code(totp)})
    client.post(reverse("account_logout"))
    assert login(client, password)["Location"] == STEP_UP


@pytest.mark.django_db
def test_cancel_forgets_the_paused_sign_in(client, user, password, totp, step_up_verdict):
    cancel = reverse("ciam:step_up_cancel")
    login(client, password)
    assert client.get(cancel).status_code == 405

    response = client.post(cancel)
    assert response.status_code == 302
    assert response["Location"] == reverse("account_login")
    assert client.get(STEP_UP)["Location"] == reverse("account_login")
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_the_code_form_is_csrf_protected(user, password, totp, step_up_verdict):
    client = Client(enforce_csrf_checks=True)
    client.get(LOGIN)
    token = client.cookies["csrftoken"].value
    client.post(LOGIN, {"login": "alice", "password": password, "csrfmiddlewaretoken": token})

    forged = client.post(STEP_UP, {"token": totp_code(totp)})
    assert forged.status_code == 403
    assert "_auth_user_id" not in client.session

    genuine = client.post(STEP_UP, {"token": totp_code(totp), "csrfmiddlewaretoken": token})
    assert genuine["Location"] == SECURITY


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_backup_code_raced_from_two_requests_is_accepted_once(require_postgres, user, totp):
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    from django.db import connection

    from ciam.mfa.verification import check_sign_in_code

    code = regenerate_backup_codes(user)[0]
    barrier = Barrier(2)

    def attempt(_n):
        try:
            barrier.wait()
            return check_sign_in_code(user, code).outcome.value
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = sorted(pool.map(attempt, range(2)))
    # The loser waited for the winner's row lock, then found the code gone.
    assert outcomes == ["verified", "wrong"]
    assert StaticToken.objects.filter(device__user=user).count() == 9
