"""The links in the emails, opened as they arrive: "This wasn't me" (signs the user out
everywhere, untrusts the device, disables the password, sends them to set a new one) and the
unblock link of a brute-force email. Each works once, expires, refuses tampering, and acts
only on the account it was sent to, whoever opens it."""

from __future__ import annotations

import time

import pytest
from django.core import signing
from django.test import Client

from ciam.models import KnownDevice
from fraud.events.models import EventType, SecurityEvent
from fraud.protection.models import BruteForceBlock
from notifications.models import Kind
from tests.notifications.conftest import AWAY, HOME, emails, rows

pytestmark = pytest.mark.django_db(transaction=True)

SECURITY = "/accounts/security/"
NOT_ME = "/notifications/not-me/"
UNBLOCK = "/fraud/unblock/"
NEW_PASSWORD = "a fresh passphrase for alice 9"
EIGHT_DAYS = 8 * 24 * 3600


def signed_in(client: Client) -> bool:
    return client.get(SECURITY).status_code == 200


def signed_days_ago(token: str, salt: str, days_ago: int = 8) -> str:
    """``token``'s value signed ``days_ago`` days ago: the link as it reads in an old email."""
    value = signing.TimestampSigner(salt=salt).unsign(token)

    class Then(signing.TimestampSigner):
        def timestamp(self):
            return signing.b62_encode(int(time.time()) - days_ago * 24 * 3600)

    return Then(salt=salt).sign(value)


@pytest.fixture
def intrusion(user, sign_in, mailoutbox):
    """Alice signed in at home; an intruder signs in from another device and address. Returns
    both browsers and the "This wasn't me" link of the email Alice got."""
    home = Client()
    assert sign_in(home, HOME).status_code == 302
    intruder = Client()
    assert sign_in(intruder, AWAY).status_code == 302
    (email,) = emails(mailoutbox)
    return {"home": home, "intruder": intruder, "link": email.link(NOT_ME)}


# --- This wasn't me ---------------------------------------------------------------------------


def test_not_me_secures_the_account_and_leads_to_a_new_password(
    intrusion, user, password, sign_in, security_admin, mailoutbox
):
    link, home, intruder = intrusion["link"], intrusion["home"], intrusion["intruder"]
    anyone = Client()  # the link needs no sign-in: it comes from Alice's mailbox

    page = anyone.get(link)
    assert page.status_code == 200
    assert "Secure my account" in page.content.decode()
    assert signed_in(intruder), "opening the page must not act (mail scanners open links)"

    response = anyone.post(link)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/password/reset/key/")

    # Signed out everywhere; the password that was used no longer works.
    assert not signed_in(intruder) and not signed_in(home)
    user.refresh_from_db()
    assert not user.has_usable_password()
    assert sign_in(Client(), HOME, secret=password).status_code == 400
    # The intruder's device is no longer trusted; Alice's own still is.
    intruder_device = SecurityEvent.objects.get(type=EventType.LOGIN_SUCCEEDED, ip=AWAY)
    assert not KnownDevice.objects.get(device_hash=intruder_device.device_hash).trusted
    assert KnownDevice.objects.filter(user=user, trusted=True).count() == 1
    # Recorded, and the administrators are told.
    event = SecurityEvent.objects.get(type=EventType.DEVICE_UNTRUSTED)
    assert event.user == user and event.data["sessions_ended"] == 2
    assert event.data["reported_sign_in_ip"] == AWAY
    (alert,) = emails(mailoutbox, "secops@example.com")
    assert alert.subject == "[example.com] alice reported activity that wasn't theirs"
    assert alert.says("2 sessions were ended", f"The reported activity came from {AWAY}.")

    # The redirect is allauth's "set a new password" page for Alice.
    form = anyone.get(response["Location"], follow=True)
    assert form.status_code == 200 and form.context["form"].user == user
    done = anyone.post(
        form.request["PATH_INFO"], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert done.status_code == 302
    assert sign_in(Client(), HOME, secret=NEW_PASSWORD).status_code == 302


def test_not_me_works_once(intrusion):
    link = intrusion["link"]
    assert Client().post(link).status_code == 302
    for method in ("get", "post"):
        again = getattr(Client(), method)(link)
        assert again.status_code == 400
        assert "already used" in again.content.decode()
    assert SecurityEvent.objects.filter(type=EventType.DEVICE_UNTRUSTED).count() == 1


def test_an_expired_not_me_link_does_nothing(intrusion, user):
    token = intrusion["link"].split("/")[-2]
    old = signed_days_ago(token, "ciam.notifications.not_me")
    for method in ("get", "post"):
        response = getattr(Client(), method)(f"{NOT_ME}{old}/")
        assert response.status_code == 400
        assert "This link has expired." in response.content.decode()
    assert signed_in(intrusion["intruder"])
    user.refresh_from_db()
    assert user.has_usable_password()


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # the signature
        lambda t: "eyJuIjoxLCJ1IjoyfQ" + t[t.index(":") :],  # the payload (user 2)
        lambda t: t + "x" * 400,  # too long
        lambda t: "not-a-token",
    ],
)
def test_a_tampered_not_me_link_is_refused(intrusion, user, tamper):
    token = intrusion["link"].split("/")[-2]
    response = Client().post(f"{NOT_ME}{tamper(token)}/")
    assert response.status_code == 400
    assert "This link is not valid" in response.content.decode()
    assert signed_in(intrusion["intruder"])


def test_a_link_re_pointed_at_another_user_is_refused(intrusion, make_user):
    # Even signed with the site's own key, a link names its user: it cannot act on another.
    bob = make_user("bob", "bob@example.com")
    row = rows(Kind.SUSPICIOUS_SIGN_IN).get()
    forged = signing.dumps({"n": row.pk, "u": bob.pk}, salt="ciam.notifications.not_me")
    assert Client().post(f"{NOT_ME}{forged}/").status_code == 400
    # And only emails with the link accept one (not a brute-force email, for instance).
    row.kind = Kind.BRUTE_FORCE_BLOCKED
    row.save()
    assert Client().post(intrusion["link"]).status_code == 400


def test_opened_by_another_signed_in_user_it_acts_on_its_own_user_only(
    intrusion, user, make_user, sign_in, password
):
    bob = make_user("bob", "bob@example.com")
    bobs_browser = Client()
    assert sign_in(bobs_browser, HOME, identifier="bob").status_code == 302

    assert bobs_browser.post(intrusion["link"]).status_code == 302

    assert not signed_in(intrusion["intruder"])  # Alice's sessions ended
    user.refresh_from_db()
    bob.refresh_from_db()
    assert not user.has_usable_password() and bob.has_usable_password()
    # Bob stays signed in (allauth signs him out only if he goes on to Alice's reset page).
    assert signed_in(bobs_browser)
    assert SecurityEvent.objects.get(type=EventType.DEVICE_UNTRUSTED).user == user


def test_the_browser_that_reports_is_signed_out_too(intrusion):
    home = intrusion["home"]
    response = home.post(intrusion["link"])
    assert response.status_code == 302
    assert not signed_in(home)
    # The reset page opens in the same browser.
    assert home.get(response["Location"], follow=True).status_code == 200


def test_only_get_and_post(intrusion):
    assert Client().put(intrusion["link"]).status_code == 405


# --- The unblock link -------------------------------------------------------------------------

WRONG = "not the password"


@pytest.fixture
def blocked(user, make_user, sign_in, mailoutbox):
    """Alice and Bob both blocked from the attacker's address by real failed sign-ins; returns
    the unblock links of their emails."""
    make_user("bob", "bob@example.com")
    for name in ("alice", "bob"):
        for _ in range(10):
            sign_in(Client(), AWAY, identifier=name, secret=WRONG)
    links = {}
    for name in ("alice", "bob"):
        (email,) = emails(mailoutbox, f"{name}@example.com")
        links[name] = email.link(UNBLOCK)
    return links


def active_blocks() -> set[str]:
    return {b.user.username for b in BruteForceBlock.objects.active()}


def test_the_unblock_link_works_once(blocked, sign_in):
    assert Client().get(blocked["alice"]).status_code == 200
    assert active_blocks() == {"alice", "bob"}  # opening the page does not act
    assert Client().post(blocked["alice"]).status_code == 200
    assert active_blocks() == {"bob"}
    assert sign_in(Client(), AWAY).status_code == 302

    again = Client().post(blocked["alice"])
    assert again.status_code == 400 and "already used" in again.content.decode()


def test_an_expired_unblock_link_does_nothing(blocked):
    token = blocked["alice"].split("/")[-2]
    old = signed_days_ago(token, "ciam.fraud.protection.unblock")
    response = Client().post(f"{UNBLOCK}{old}/")
    assert response.status_code == 400 and "expired" in response.content.decode()
    assert active_blocks() == {"alice", "bob"}


def test_a_tampered_unblock_link_is_refused(blocked):
    token = blocked["alice"].split("/")[-2]
    for bad in (token[:-1] + ("A" if token[-1] != "A" else "B"), token + "x" * 300, "x"):
        response = Client().post(f"{UNBLOCK}{bad}/")
        assert response.status_code == 400 and "not valid" in response.content.decode()
    assert active_blocks() == {"alice", "bob"}


def test_an_unblock_link_lifts_only_its_own_block_whoever_opens_it(blocked, sign_in):
    # Bob, signed in elsewhere, opens Alice's link: Alice's block lifts, Bob's stays.
    bobs_browser = Client()
    assert sign_in(bobs_browser, HOME, identifier="bob").status_code == 302
    assert bobs_browser.post(blocked["alice"]).status_code == 200
    assert active_blocks() == {"bob"}
    assert sign_in(Client(), AWAY, identifier="bob").status_code == 429


@pytest.mark.parametrize("engine", ["db", "cached_db", "cache", "file", "signed_cookies"])
def test_not_me_signs_out_everywhere_with_any_session_backend(
    engine, user, sign_in, settings, tmp_path, mailoutbox
):
    # Listable backends (db, cached_db) lose the rows at once; with the others the sessions
    # end at their next request, because the password they were made with is gone.
    settings.SESSION_ENGINE = f"django.contrib.sessions.backends.{engine}"
    settings.SESSION_FILE_PATH = str(tmp_path)
    home, intruder = Client(), Client()
    assert sign_in(home, HOME).status_code == 302
    assert sign_in(intruder, AWAY).status_code == 302
    assert signed_in(home) and signed_in(intruder)
    (email,) = emails(mailoutbox)

    assert Client().post(email.link(NOT_ME)).status_code == 302

    assert not signed_in(home) and not signed_in(intruder)


def test_not_me_needs_the_pages_csrf_token(intrusion):
    browser = Client(enforce_csrf_checks=True)
    assert browser.post(intrusion["link"]).status_code == 403
    page = browser.get(intrusion["link"])
    token = page.context["csrf_token"]
    assert browser.post(intrusion["link"], {"csrfmiddlewaretoken": str(token)}).status_code == 302
