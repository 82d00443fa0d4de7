import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from ciam.models import KnownDevice
from ciam.sessions import end_all_sessions


@pytest.mark.django_db
def test_end_all_sessions_signs_every_browser_out(user, make_user, password):
    browsers = [Client(), Client()]
    for browser in browsers:
        assert browser.post("/accounts/login/", {"login": "alice", "password": password})
    bystander = Client()
    make_user("bob")
    bystander.post("/accounts/login/", {"login": "bob", "password": password})

    assert KnownDevice.objects.filter(user=user).count() == 2
    assert end_all_sessions(user) == 2

    for browser in browsers:
        assert browser.get("/accounts/security/").status_code == 302  # back to sign-in
    assert bystander.get("/accounts/security/").status_code == 200
    assert Session.objects.count() == 1


@pytest.mark.django_db
def test_a_sign_in_writes_the_device_in_one_statement(client, user, password):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.post("/accounts/login/", {"login": "alice", "password": password})
    client.post("/accounts/logout/")
    with CaptureQueriesContext(connection) as queries:
        client.post("/accounts/login/", {"login": "alice", "password": password})
    writes = [
        q["sql"]
        for q in queries
        if "ciam_knowndevice" in q["sql"] and q["sql"].startswith(("INSERT", "UPDATE"))
    ]
    assert len(writes) == 1 and writes[0].startswith("INSERT")  # an upsert, no read first
    assert KnownDevice.objects.get(user=user).session_key == client.session.session_key
