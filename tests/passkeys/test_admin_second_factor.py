"""A passkey counts as the admin's second factor, so staff who have only a passkey get in."""

from __future__ import annotations

import pytest

from ciam.models import LoginSettings

from .conftest import sign_in_with_passkey

INDEX = "/admin/"

pytestmark = pytest.mark.django_db


@pytest.fixture
def second_factor_required():
    LoginSettings.objects.update_or_create(pk=1, defaults={"admin_requires_second_factor": True})
    LoginSettings.clear_cache()


def test_staff_signed_in_with_a_passkey_use_the_admin(
    client, make_user, add_passkey, authenticator, second_factor_required
):
    staff = make_user("root", is_staff=True, is_superuser=True)
    add_passkey(staff, authenticator)
    assert sign_in_with_passkey(client, authenticator).status_code == 200
    assert client.get(INDEX).status_code == 200


def test_staff_signed_in_with_a_password_alone_are_asked_for_a_second_factor(
    client, make_user, password, second_factor_required
):
    make_user("root", is_staff=True, is_superuser=True)
    client.post("/accounts/login/", {"login": "root", "password": password})
    response = client.get(INDEX)
    assert response.status_code == 302
    assert client.get(response["Location"])["Location"].startswith("/admin/verify/")
