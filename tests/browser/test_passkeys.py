"""Passkeys in headless Chromium with the DevTools virtual authenticator (CTAP2, internal
transport, resident keys, user verification): add one, sign out, sign in with the button and
through autofill, step up with it, remove it, and a failed user verification refused.

The page is served on ``localhost``: WebAuthn refuses 127.0.0.1 as an origin.
"""

from __future__ import annotations

import re

import pytest

from ciam import signals
from ciam.verdicts import Verdict
from passkeys.models import Passkey

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SECURITY = re.compile("/accounts/security/")


@pytest.fixture
def webauthn_site(settings, site_url):
    """The live server's origin is the one passkeys are accepted from."""
    settings.CIAM_WEBAUTHN_RP_ID = "localhost"
    settings.CIAM_WEBAUTHN_ORIGINS = [site_url]
    return site_url


class VirtualAuthenticator:
    """Chromium's DevTools virtual authenticator, attached to one page."""

    def __init__(self, page):
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.send("WebAuthn.enable", {"enableUI": False})
        self.id = self.cdp.send(
            "WebAuthn.addVirtualAuthenticator",
            {
                "options": {
                    "protocol": "ctap2",
                    "transport": "internal",
                    "hasResidentKey": True,
                    "hasUserVerification": True,
                    "isUserVerified": True,
                    "automaticPresenceSimulation": True,
                }
            },
        )["authenticatorId"]

    def credentials(self) -> list[dict]:
        return self.cdp.send("WebAuthn.getCredentials", {"authenticatorId": self.id})["credentials"]

    def set_user_verified(self, verified: bool) -> None:
        self.cdp.send(
            "WebAuthn.setUserVerified", {"authenticatorId": self.id, "isUserVerified": verified}
        )


# Chromium's virtual authenticator answers a conditional (autofill) request at once, as if the
# user had picked the passkey from the autofill list, so every login page would sign in by
# itself. The pages therefore see no conditional mediation unless a test turns "autofill" on,
# and each navigator.credentials.get() records its mediation, to tell the two paths apart.
CEREMONY_PROBE = """
(() => {
  if (!window.PublicKeyCredential) return;
  if (sessionStorage.getItem("autofill") !== "on") {
    PublicKeyCredential.isConditionalMediationAvailable = () => Promise.resolve(false);
  }
  const get = navigator.credentials.get.bind(navigator.credentials);
  navigator.credentials.get = (options) => {
    const seen = JSON.parse(sessionStorage.getItem("mediations") || "[]");
    seen.push(options.mediation || "modal");
    sessionStorage.setItem("mediations", JSON.stringify(seen));
    return get(options);
  };
})();
"""


@pytest.fixture
def authenticator(page, webauthn_site):
    page.add_init_script(CEREMONY_PROBE)
    return VirtualAuthenticator(page)


def mediations(page) -> list[str]:
    """The mediation of every passkey request this tab made since the last call."""
    seen = page.evaluate("JSON.parse(sessionStorage.getItem('mediations') || '[]')")
    page.evaluate("sessionStorage.removeItem('mediations')")
    return seen


def sign_in_with_password(page, identifier: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label(re.compile("username or email", re.I)).fill(identifier)
    page.get_by_label(re.compile("^password", re.I)).fill(password)
    page.get_by_role("button", name=re.compile("^sign in$", re.I)).click()


def sign_out(page) -> None:
    page.goto("/accounts/logout/")
    page.get_by_role("main").get_by_role("button", name=re.compile("sign out", re.I)).click()
    page.wait_for_url(re.compile(r"/accounts/login/|/$"))


def add_passkey(page) -> None:
    page.goto("/accounts/security/")
    page.get_by_role("link", name=re.compile("add a passkey", re.I)).click()
    page.wait_for_url(re.compile("/accounts/passkeys/add/"))
    page.get_by_role("button", name=re.compile("create passkey", re.I)).click()
    page.wait_for_url(SECURITY)


def test_add_sign_in_step_up_and_remove(
    page, authenticator, make_user, password, screenshot, connect_receiver
):
    user = make_user("pat", "pat@example.com")
    verdict = {"now": Verdict.allow()}
    connect_receiver(signals.risk_check_requested, lambda sender, context, **kw: verdict["now"])

    # Add a passkey from Account security, right after signing in with the password.
    sign_in_with_password(page, "pat", password)
    page.wait_for_url(SECURITY)
    add_passkey(page)
    passkey = Passkey.objects.get(user=user)
    assert page.get_by_text(passkey.name).first.is_visible()
    # The virtual authenticator's AAGUID is unknown: the name comes from the browser.
    assert passkey.name == "Headless Chrome on Linux"
    assert len(authenticator.credentials()) == 1
    assert authenticator.credentials()[0]["isResidentCredential"]
    screenshot(page, "passkeys")

    # Sign out; sign in with the button (no username typed).
    sign_out(page)
    page.goto("/accounts/login/")
    mediations(page)
    page.get_by_role("button", name=re.compile("sign in with a passkey", re.I)).click()
    page.wait_for_url(SECURITY)
    assert mediations(page) == ["modal"]
    passkey.refresh_from_db()
    assert passkey.last_used_at is not None

    # Sign out; sign in through the identifier field's autofill (conditional mediation).
    sign_out(page)
    page.evaluate("sessionStorage.setItem('autofill', 'on')")
    page.goto("/accounts/login/")
    identifier = page.get_by_label(re.compile("username or email", re.I))
    assert identifier.get_attribute("autocomplete") == "username webauthn"
    identifier.focus()
    page.wait_for_url(SECURITY)
    assert mediations(page) == ["conditional"]
    page.evaluate("sessionStorage.removeItem('autofill')")

    # A risky sign-in with the password: the passkey is offered first, and accepted.
    sign_out(page)
    verdict["now"] = Verdict.step_up(source="test policy")
    sign_in_with_password(page, "pat", password)
    page.wait_for_url(re.compile("/accounts/step-up/"))
    mediations(page)
    page.get_by_role("button", name=re.compile("verify with a passkey", re.I)).click()
    page.wait_for_url(SECURITY)
    assert mediations(page) == ["modal"]
    verdict["now"] = Verdict.allow()

    # Remove it.
    page.get_by_role("button", name=re.compile(f"remove {passkey.name}", re.I)).click()
    page.wait_for_url(SECURITY)
    assert "removed" in page.content()
    assert not Passkey.objects.filter(user=user).exists()


def test_user_verification_failure_is_refused(page, authenticator, make_user, password):
    user = make_user("sam", "sam@example.com")
    sign_in_with_password(page, "sam", password)
    page.wait_for_url(SECURITY)
    add_passkey(page)
    sign_out(page)

    authenticator.set_user_verified(False)
    page.goto("/accounts/login/")
    page.get_by_role("button", name=re.compile("sign in with a passkey", re.I)).click()
    alert = page.get_by_role("alert").filter(has_text=re.compile(r"\w"))
    alert.wait_for()
    # The browser refuses before anything is sent (user verification is required); the page
    # says so and stays on the sign-in form.
    assert "could not confirm it's you" in alert.inner_text()
    assert "/accounts/login/" in page.url
    assert Passkey.objects.get(user=user).last_used_at is None
    page.goto("/accounts/security/")
    assert "/accounts/login/" in page.url  # still signed out
