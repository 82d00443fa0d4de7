"""Social login through allauth's GitHub provider, against a fake GitHub on loopback, goes
through the same risk check as a password login."""

from urllib.parse import urlparse

import pytest
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.github.views import GitHubOAuth2Adapter
from django.contrib.sites.models import Site

from ciam import signals
from ciam.verdicts import Verdict
from tests.fakes.github import FakeGitHub


@pytest.fixture
def github(monkeypatch, db):
    app = SocialApp.objects.create(provider="github", name="GitHub", client_id="id", secret="s")
    app.sites.add(Site.objects.get_current())
    user = {"id": 4242, "login": "octo", "name": "Octo Cat", "email": "octo@example.com"}
    emails = [{"email": "octo@example.com", "primary": True, "verified": True}]
    with FakeGitHub(user, emails) as fake:
        # GitHub itself cannot be reached from the tests: point the provider at the fake.
        monkeypatch.setattr(GitHubOAuth2Adapter, "web_url", fake.url)
        monkeypatch.setattr(
            GitHubOAuth2Adapter, "authorize_url", f"{fake.url}/login/oauth/authorize"
        )
        monkeypatch.setattr(
            GitHubOAuth2Adapter, "access_token_url", f"{fake.url}/login/oauth/access_token"
        )
        monkeypatch.setattr(GitHubOAuth2Adapter, "profile_url", f"{fake.url}/api/v3/user")
        monkeypatch.setattr(GitHubOAuth2Adapter, "emails_url", f"{fake.url}/api/v3/user/emails")
        yield fake


def github_login(client, fake):
    import requests

    page = client.get("/accounts/login/")
    assert b"GitHub" in page.content
    start = client.post("/accounts/github/login/")
    assert start.status_code == 302
    authorize = requests.get(start["Location"], allow_redirects=False, timeout=5)
    callback = urlparse(authorize.headers["Location"])
    return client.get(f"{callback.path}?{callback.query}")


@pytest.mark.django_db
def test_github_sign_in_goes_through_the_risk_check(client, github, connect_receiver):
    seen = []
    connect_receiver(
        signals.risk_check_requested,
        lambda sender, context, **kw: seen.append(context) or Verdict.allow(),
    )
    # First visit signs the user up; the second is a plain social login.
    github_login(client, github)
    client.post("/accounts/logout/")
    response = github_login(client, github)
    assert response.status_code == 302
    assert client.session["_auth_user_id"]
    assert [c.method for c in seen] == ["social"]
    assert seen[0].user.email == "octo@example.com"


@pytest.mark.django_db
def test_github_sign_in_can_be_denied(client, github, connect_receiver):
    github_login(client, github)
    client.post("/accounts/logout/")
    connect_receiver(
        signals.risk_check_requested, lambda sender, context, **kw: Verdict.deny(source="t")
    )
    response = github_login(client, github)
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session
