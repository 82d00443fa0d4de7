"""Every kind of email, sent on its real trigger through the real flows (the hosted login form,
allauth's password and email pages, TOTP and passkey enrolment, Sift's webhook), rendered in
text and HTML, read from Django's mail outbox. Transactions commit for real: an email goes out
only after what it reports is committed."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from fraud.protection.models import BruteForceBlock
from notifications.models import Kind, Notification
from tests.fraud.conftest import GEOIP_TEST_DB, LONDON, MILTON
from tests.fraud.protection_support import hibp_fixture, protect_fixture  # noqa: F401
from tests.fraud.sift_support import dead_broker_fixture  # noqa: F401
from tests.notifications.conftest import AWAY, FIREFOX, HOME, SAFARI_IPHONE, emails, rows

pytestmark = pytest.mark.django_db(transaction=True)

WRONG = "not the password"


# --- Sign-ins ---------------------------------------------------------------------------------


def test_a_sign_in_from_a_new_device_is_emailed_with_a_not_me_link(
    user, sign_in, known_device, mailoutbox
):
    known_device()
    assert mailoutbox == []  # the first sign-in ever: nothing to compare with

    assert sign_in(Client(), AWAY, HTTP_USER_AGENT=SAFARI_IPHONE).status_code == 302

    (email,) = emails(mailoutbox)
    assert email.to == ["alice@example.com"]
    assert email.subject == "New sign-in to your example.com account"
    assert email.says(
        "new sign-in to your account alice",
        "From a device you haven't used before",
        "Safari on iOS",
        "198.51.100.23",
        "If it wasn't you, secure your account now",
    )
    assert email.link("/notifications/not-me/")
    assert email.headers()["Auto-Submitted"] == "auto-generated"
    (row,) = rows(Kind.SUSPICIOUS_SIGN_IN)
    assert (row.status, row.attempts, row.user) == (Notification.Status.SENT, 1, user)


def test_a_known_device_and_a_first_sign_in_send_nothing(user, sign_in, known_device, mailoutbox):
    browser = known_device()
    assert sign_in(browser, HOME).status_code == 302
    assert sign_in(browser, AWAY).status_code == 302  # a new network: off by default
    assert mailoutbox == []


def test_a_new_network_is_emailed_when_the_administrator_asks(
    user, sign_in, known_device, notify, mailoutbox
):
    notify(on_new_network=True)
    browser = known_device(HOME)
    assert sign_in(browser, AWAY).status_code == 302
    (email,) = emails(mailoutbox)
    assert email.says("From a network you haven't used before")


def test_a_new_country_is_emailed_with_the_place(user, sign_in, settings, mailoutbox):
    settings.CIAM_GEOIP_PATH = str(GEOIP_TEST_DB)
    browser = Client()
    assert sign_in(browser, LONDON).status_code == 302
    browser.post("/accounts/logout/")
    assert sign_in(browser, MILTON).status_code == 302  # same browser, another country

    (email,) = emails(mailoutbox)
    assert email.says(
        "From a country you haven't signed in from before",
        "Where (approximately)",
        "Milton, United States",
        MILTON,
        "Firefox on Windows",
    )


def test_any_sign_in_scored_above_the_level_is_emailed(
    user, sign_in, known_device, notify, mailoutbox
):
    notify(on_new_device=False, score_above=0.2)
    known_device()
    assert sign_in(Client(), AWAY).status_code == 302  # new device: score 0.25
    (email,) = emails(mailoutbox)
    assert email.says("In a way that looked unusual to us")
    assert not email.mentions("From a device you haven't used before")

    notify(score_above=None)
    assert sign_in(Client(), AWAY).status_code == 302
    assert len(mailoutbox) == 1


def test_at_most_one_new_sign_in_email_an_hour(user, sign_in, known_device, mailoutbox):
    known_device()
    for _ in range(3):
        assert sign_in(Client(), AWAY).status_code == 302
    assert len(emails(mailoutbox)) == 1
    assert rows(Kind.SUSPICIOUS_SIGN_IN).count() == 1


@pytest.mark.parametrize(
    "backend", ["ciam.cache.FailOpenRedisCache", "django.core.cache.backends.redis.RedisCache"]
)
def test_with_the_cache_down_the_database_key_still_limits_to_one_an_hour(
    backend, user, sign_in, known_device, settings, mailoutbox
):
    known_device()
    # A cache nobody listens on: every counter fails open, and so does the notice limit.
    settings.CACHES = {
        "default": {
            "BACKEND": backend,
            "LOCATION": "redis://127.0.0.1:9/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    for _ in range(2):
        assert sign_in(Client(), AWAY).status_code == 302
    assert len(emails(mailoutbox)) == 1


def test_a_kind_switched_off_is_not_sent(user, sign_in, known_device, notify, mailoutbox):
    notify(suspicious_sign_in=False)
    known_device()
    assert sign_in(Client(), AWAY).status_code == 302
    assert mailoutbox == [] and not Notification.objects.exists()


def test_no_security_email_to_an_unverified_address(user, mailoutbox):
    from allauth.account.models import EmailAddress

    from ciam import signals

    # An address nobody proved may be someone else's (a passwordless sign-up not yet
    # confirmed, for instance): nothing is sent to it.
    EmailAddress.objects.update(verified=False)
    signals.mfa_device_changed.send(
        sender=type(user), request=None, user=user, kind="passkey", action="added"
    )
    assert mailoutbox == []
    # The address is looked up when the email is sent: the row says why it was not.
    (row,) = Notification.objects.all()
    assert (row.status, row.recipient) == (Notification.Status.FAILED, "")
    assert row.last_error == "the user has no verified email address"


def test_a_new_device_sign_in_costs_one_insert_in_its_own_savepoint(
    user, make_user, password, sign_in, known_device, notify, dead_broker
):
    """Only the row is written in the request (the broker is down here so that no eager task
    sends it inside the request being counted)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_user("bob", "bob@example.com")
    for name in ("alice", "bob"):
        known_device(identifier=name)

    def statements(identifier: str) -> list[str]:
        with CaptureQueriesContext(connection) as queries:
            assert sign_in(Client(), AWAY, identifier).status_code == 302
        return [q["sql"] for q in queries.captured_queries]

    notify(suspicious_sign_in=False)
    quiet = statements("bob")  # the same sign-in, no email
    notify(suspicious_sign_in=True)
    emailed = statements("alice")
    assert Notification.objects.get().recipient == ""  # looked up when sent

    def savepoints(sql_list):
        return sum(sql.startswith("SAVEPOINT") for sql in sql_list)

    outbox = [sql.split()[0] for sql in emailed if "ciam_notifications_notification" in sql]
    assert outbox == ["INSERT"]
    assert savepoints(emailed) - savepoints(quiet) == 1
    assert len(emailed) - len(quiet) == 3  # SAVEPOINT, INSERT, RELEASE SAVEPOINT


# --- Brute force ------------------------------------------------------------------------------


def test_a_brute_force_block_emails_the_ip_and_a_working_unblock_link(
    user, sign_in, password, mailoutbox
):
    attacker = Client()
    for _ in range(30):
        sign_in(attacker, AWAY, secret=WRONG)

    (email,) = emails(mailoutbox)  # one email, whatever the number of attempts
    assert email.subject == "Sign-ins to your example.com account were blocked"
    assert email.says("After too many wrong passwords from the IP address 198.51.100.23")
    unblock = email.link("/fraud/unblock/")
    assert email.link("/accounts/password/reset/")

    assert sign_in(Client(), AWAY).status_code == 429  # even the right password
    page = Client().get(unblock)
    assert page.status_code == 200 and "Unblock my account" in page.content.decode()
    assert Client().post(unblock).status_code == 200
    assert BruteForceBlock.objects.get().release_reason == "link"
    assert sign_in(Client(), AWAY).status_code == 302


def test_no_block_email_when_attack_protection_says_not_to(user, sign_in, protect, mailoutbox):
    protect(brute_force_notify_user=False)
    for _ in range(10):
        sign_in(Client(), AWAY, secret=WRONG)
    assert mailoutbox == []


# --- Breached password ------------------------------------------------------------------------

LEAKED = "Tr0ub4dor&3 but leaked"


@pytest.fixture
def leaked_user(make_user, protect, hibp):
    protect(breached_enabled=True)
    hibp.add(LEAKED, 3861)
    return make_user("alice", "alice@example.com", password=LEAKED)


def test_a_breached_password_at_sign_in_emails_the_user_and_the_administrators(
    leaked_user, security_admin, sign_in, mailoutbox
):
    response = sign_in(Client(), AWAY, secret=LEAKED)
    assert response.status_code == 403  # sent to the reset page

    (to_user,) = emails(mailoutbox, "alice@example.com")
    assert to_user.subject == "Your example.com password was found in a data breach"
    assert to_user.says("found in 3,861 breaches", "that sign-in was stopped", "198.51.100.23")
    assert to_user.link("/accounts/password/reset/")

    (to_admin,) = emails(mailoutbox, "secops@example.com")
    assert to_admin.subject == "[example.com] A breached password was used to sign in"
    assert to_admin.says("alice", "found in 3,861 breaches", "in the last 24 hours: 1")
    assert "type__exact=breached_password" in to_admin.link("/admin/ciam_fraud/securityevent/")


def test_breached_passwords_go_to_a_daily_digest_when_chosen(
    leaked_user, security_admin, sign_in, protect, mailoutbox
):
    from notifications.tasks import send_digest

    protect(breached_admin_frequency="daily")
    sign_in(Client(), AWAY, secret=LEAKED)
    assert [e.to for e in emails(mailoutbox)] == [["alice@example.com"]]
    (held,) = rows(Kind.ADMIN_BREACHED_PASSWORD)
    assert (held.status, held.recipient, held.digest) == ("held", "", "daily")

    assert send_digest.delay("daily").get() == 1  # what celery beat runs at 07:00

    (digest,) = emails(mailoutbox, "secops@example.com")
    assert digest.subject == "[example.com] Daily security digest: 1 alert"
    assert digest.says("Admin: breached password used", "1 alert, 1 account(s).", AWAY)
    held.refresh_from_db()
    assert held.status == "digested"
    assert send_digest.delay("daily").get() == 0  # nothing is reported twice


# --- IP throttling ----------------------------------------------------------------------------


def test_ip_throttling_alerts_the_administrators_once_an_hour(
    make_user, security_admin, sign_in, protect, mailoutbox
):
    protect(login_failures_per_ip=3)
    for n in range(8):
        sign_in(Client(), AWAY, identifier=f"someone{n}@example.com", secret=WRONG)

    (alert,) = emails(mailoutbox, "secops@example.com")
    assert alert.subject == f"[example.com] IP {AWAY} throttled"
    assert alert.says(
        "too many failed sign-ins came from it, across accounts",
        # Counted when the alert went out: the failures that crossed the limit.
        "In the last hour: 3 failed or refused sign-ins from it, on 3 accounts.",
    )
    assert alert.link("/admin/ciam_fraud/securityevent/").endswith(f"?q={AWAY}")


def test_alerts_switched_off_cost_no_count_of_the_event_log(
    make_user, security_admin, sign_in, protect, notify, mailoutbox
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    notify(admin_ip_throttled=False)
    protect(login_failures_per_ip=3)
    with CaptureQueriesContext(connection) as queries:
        for n in range(8):
            sign_in(Client(), AWAY, identifier=f"someone{n}@example.com", secret=WRONG)
    counted = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert not [sql for sql in counted if "ciam_fraud_securityevent" in sql], counted
    assert emails(mailoutbox, "secops@example.com") == []


def test_listed_addresses_are_alerted_and_staff_can_be_left_out(
    make_user, security_admin, sign_in, protect, notify, mailoutbox
):
    notify(alert_staff=False, alert_addresses="soc@example.org\nOps@Example.org\nops@example.org")
    protect(login_failures_per_ip=1)
    for n in range(3):
        sign_in(Client(), AWAY, identifier=f"someone{n}", secret=WRONG)
    assert sorted(m.to[0] for m in mailoutbox) == ["Ops@Example.org", "soc@example.org"]


# --- Account changes --------------------------------------------------------------------------


@pytest.fixture
def signed_in(user, sign_in, password):
    """Alice's browser, signed in and reauthenticated just now."""
    browser = Client(HTTP_USER_AGENT=FIREFOX, REMOTE_ADDR=HOME)
    assert sign_in(browser).status_code == 302
    assert (
        browser.post(reverse("account_reauthenticate"), {"password": password}).status_code == 302
    )
    return browser


def test_a_password_change_is_emailed_with_a_not_me_link(signed_in, password, mailoutbox):
    new = "a brand new passphrase 77"
    response = signed_in.post(
        reverse("account_change_password"),
        {"oldpassword": password, "password1": new, "password2": new},
    )
    assert response.status_code == 302
    (email,) = emails(mailoutbox)
    assert email.subject == "example.com: Your password was changed"
    assert email.says("This concerns your account alice.", "Firefox on Windows", HOME)
    assert email.link("/notifications/not-me/")


def test_an_email_change_is_told_to_the_previous_address(signed_in, user, mailoutbox):
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=user, email="alice@new.example", verified=True)
    response = signed_in.post(
        reverse("account_email"), {"action_primary": "", "email": "alice@new.example"}
    )
    assert response.status_code == 302
    ours = [e for e in emails(mailoutbox) if e.subject.endswith("Your email address was changed")]
    (email,) = ours
    assert email.to == ["alice@example.com"]
    assert email.says("The new address is alice@new.example", "your previous address")


def test_adding_an_authenticator_app_sends_one_email(signed_in, user, mailoutbox):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.ciam.test_step_up import totp_code

    setup = reverse("ciam:totp_setup")
    signed_in.get(setup)
    device = TOTPDevice.objects.get(user=user)
    assert signed_in.post(setup, {"token": totp_code(device)}).status_code == 200

    # The app and its backup codes: one change, one email.
    (email,) = emails(mailoutbox)
    assert email.subject == "example.com: A second factor was added to your account"
    assert email.says("What changed: an authenticator app.")
    assert email.link("/notifications/not-me/")


def test_adding_and_removing_a_passkey_are_emailed(signed_in, user, mailoutbox):
    from passkeys.models import Passkey
    from tests.passkeys.authenticator import SoftAuthenticator
    from tests.passkeys.test_registration import add_passkey_through_the_site

    response = add_passkey_through_the_site(signed_in, SoftAuthenticator(), name="Laptop")
    assert response.status_code == 200, response.content
    passkey = Passkey.objects.get(user=user)
    remove = signed_in.post(reverse("passkeys:remove", args=[passkey.pk]))
    assert remove.status_code == 302

    subjects = [e.subject for e in emails(mailoutbox)]
    assert subjects == [
        "example.com: A passkey was added to your account",
        "example.com: A passkey was removed from your account",
    ]


def test_a_change_made_by_an_administrator_says_so_without_a_not_me_link(
    user, admin_client, mailoutbox
):
    from passkeys.models import Passkey

    passkey = Passkey.objects.create(
        user=user, credential_id="abc", public_key=b"k", sign_count=0, name="Old key"
    )
    url = reverse("admin:ciam_passkeys_passkey_delete", args=[passkey.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    (email,) = emails(mailoutbox, "alice@example.com")
    assert email.says("An administrator of example.com made this change.")
    assert not email.has_link("/notifications/not-me/")


# --- Passkey clone and Sift -------------------------------------------------------------------


def test_a_copied_passkey_alerts_the_user_and_the_administrators(user, security_admin, mailoutbox):
    from tests.passkeys.authenticator import SoftAuthenticator
    from tests.passkeys.conftest import sign_in_with_passkey

    authenticator = SoftAuthenticator()
    passkey = _register(user, authenticator)
    passkey.sign_count = 41
    passkey.save()
    response = sign_in_with_passkey(Client(REMOTE_ADDR=AWAY), authenticator, sign_count=17)
    assert response.status_code == 403

    (to_user,) = emails(mailoutbox, "alice@example.com")
    assert to_user.subject == "A passkey of your example.com account may have been copied"
    assert to_user.says("your passkey “Phone” was refused")
    assert to_user.link("/accounts/security/")
    (to_admin,) = emails(mailoutbox, "secops@example.com")
    assert to_admin.says("answered sign count 17 after 41", AWAY)
    assert to_admin.link(f"/admin/ciam_passkeys/passkey/{passkey.pk}/")


def _register(user, authenticator):
    import os

    from passkeys.models import Passkey, WebAuthnUser
    from tests.passkeys.authenticator import RP_ID, b64u

    authenticator.create(
        {
            "rp": {"id": RP_ID},
            "user": {"id": WebAuthnUser.handle_for(user)},
            "challenge": b64u(os.urandom(32)),
        }
    )
    stored = authenticator.credentials[-1]
    return Passkey.objects.create(
        user=user,
        credential_id=b64u(stored.credential_id),
        public_key=stored.cose_public_key(),
        sign_count=stored.sign_count,
        name="Phone",
        transports=["internal"],
    )


def test_a_sift_decision_that_locks_an_account_alerts_the_administrators(
    user, password, security_admin, settings, mailoutbox
):
    from tests.fakes.sift_server import FakeSift
    from tests.fraud.sift_support import SiftFixture, login
    from tests.fraud.test_sift_webhooks import decision_body, post, sign

    with FakeSift() as server:
        settings.CIAM_SIFT_API_URL = server.url
        sift = SiftFixture(server)
        sift.configure(
            webhook_key="whsec-test-0123456789",
            publish_logins=True,
            lock_decision_ids="looks_bad_lock",
        )
        assert login(Client(), "alice", password).status_code == 302
        sift_user = sift.events("$login")[0]["$user_id"]
    body = decision_body(sift_user, "looks_bad_lock")
    assert post(body, sign(body)).status_code == 200

    (alert,) = emails(mailoutbox, "secops@example.com")
    assert alert.subject == "[example.com] Sift decision applied: Account locked"
    assert alert.says(
        "Sift's decision looks_bad_lock was applied to alice: Account locked (1 session(s) ended)."
    )
    assert "/admin/ciam_fraud/siftdecision/" in alert.link("/admin/ciam_fraud/siftdecision/")


def test_a_sign_in_that_needs_no_email_costs_no_query(user, sign_in, known_device):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    browser = known_device()
    with CaptureQueriesContext(connection) as queries:
        assert sign_in(browser, HOME).status_code == 302
    touched = [q["sql"] for q in queries if "ciam_notifications" in q["sql"]]
    assert touched == []


def test_administrator_alerts_go_to_a_weekly_digest_when_chosen(
    make_user, security_admin, sign_in, protect, notify, mailoutbox
):
    from notifications.tasks import send_digest

    notify(admin_frequency="weekly")
    protect(login_failures_per_ip=1)
    for ip in (AWAY, "192.0.2.7"):
        for n in range(3):
            sign_in(Client(), ip, identifier=f"someone{n}", secret=WRONG)
    assert mailoutbox == []
    assert send_digest.delay("daily").get() == 0
    assert send_digest.delay("weekly").get() == 1

    (digest,) = emails(mailoutbox, "secops@example.com")
    assert digest.subject == "[example.com] Weekly security digest: 2 alerts"
    assert digest.says("Admin: IP throttled", "2 alerts", AWAY, "192.0.2.7")
