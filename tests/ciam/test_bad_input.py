"""Bad input on the hosted pages gets a 4xx and a clear message, never a 500."""

import pytest
from django.test import Client
from django.urls import reverse

from ciam.conf import settings as ciam_settings
from ciam.device import get_device_id

LOGIN = "/accounts/login/"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [
        {},
        {"login": "alice"},
        {"password": "x"},
        {"login": "", "password": ""},
    ],
)
def test_missing_fields_are_a_400_with_errors_next_to_the_fields(client, data):
    response = client.post(LOGIN, data)
    assert response.status_code == 400
    assert response.context["form"].errors


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["login", "password"])
def test_oversized_fields_are_a_400_not_a_password_hash_of_a_megabyte(client, user, field):
    data = {"login": "alice", "password": "pw"}
    data[field] = "a" * (ciam_settings.MAX_FIELD_LENGTH + 1)
    response = client.post(LOGIN, data)
    assert response.status_code == 400
    assert field in response.context["form"].errors


@pytest.mark.django_db
def test_oversized_signup_email_is_a_400(client):
    response = client.post(
        "/accounts/signup/", {"email": "a" * 5000 + "@example.com", "password1": "x" * 5000}
    )
    assert response.status_code == 400


@pytest.mark.django_db
def test_missing_csrf_token_is_a_clear_403(user, password):
    client = Client(enforce_csrf_checks=True)
    response = client.post(LOGIN, {"login": "alice", "password": password})
    assert response.status_code == 403
    assert "expired" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
@pytest.mark.parametrize(
    "next_url", ["https://evil.example/phish", "//evil.example/", "javascript:alert(1)"]
)
def test_unsafe_next_is_not_followed(client, user, password, next_url):
    response = client.post(f"{LOGIN}?next={next_url}", {"login": "alice", "password": password})
    assert response.status_code == 302
    assert response["Location"] == reverse("ciam:account_security")


@pytest.mark.django_db
def test_safe_next_is_followed(client, user, password):
    response = client.post(
        f"{LOGIN}?next=/accounts/email/", {"login": "alice", "password": password}
    )
    assert response["Location"] == "/accounts/email/"


@pytest.mark.django_db
def test_a_device_cookie_is_issued_once_and_kept(client):
    first = client.get(LOGIN)
    cookie = first.cookies[ciam_settings.DEVICE_COOKIE_NAME]
    assert cookie["httponly"] and cookie["max-age"] == ciam_settings.DEVICE_COOKIE_AGE
    second = client.get(LOGIN)
    assert ciam_settings.DEVICE_COOKIE_NAME not in second.cookies  # not re-issued


@pytest.mark.django_db
def test_a_tampered_device_cookie_is_ignored_and_replaced(client, rf):
    client.get(LOGIN)
    name = ciam_settings.DEVICE_COOKIE_NAME
    original = client.cookies[name].value
    client.cookies[name] = original[:-3] + "xyz"
    response = client.get(LOGIN)
    assert response.status_code == 200
    replaced = response.cookies[name].value
    assert replaced != original
    request = rf.get("/")
    request.COOKIES[name] = replaced
    assert get_device_id(request) != original.split(":")[0]


@pytest.mark.django_db
def test_a_forged_forwarded_for_does_not_change_the_recorded_ip(
    client, user, password, connect_receiver
):
    from ciam import signals
    from ciam.verdicts import Verdict

    seen = []
    connect_receiver(
        signals.risk_check_requested,
        lambda sender, context, **kw: seen.append(context.ip) or Verdict.allow(),
    )
    client.post(
        LOGIN,
        {"login": "alice", "password": password},
        REMOTE_ADDR="198.51.100.7",
        HTTP_X_FORWARDED_FOR="1.1.1.1",
    )
    assert seen == ["198.51.100.7"]
