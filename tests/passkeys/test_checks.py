"""The system check of the WebAuthn settings: the RP ID must be each origin's host or a
registrable suffix of it."""

from __future__ import annotations

import pytest

from passkeys.checks import check_webauthn_settings


def ids(settings, rp_id, origins):
    settings.CIAM_WEBAUTHN_RP_ID = rp_id
    settings.CIAM_WEBAUTHN_ORIGINS = origins
    return [problem.id for problem in check_webauthn_settings(None)]


@pytest.mark.parametrize(
    ("rp_id", "origins"),
    [
        ("localhost", ["http://localhost:8000"]),
        ("example.com", ["https://example.com", "https://login.example.com"]),
        ("login.example.com", ["https://login.example.com:8443"]),
    ],
)
def test_good_settings(settings, rp_id, origins):
    assert ids(settings, rp_id, origins) == []


@pytest.mark.parametrize(
    ("rp_id", "origins"),
    [
        ("example.com", ["https://example.org"]),
        ("example.com", ["https://notexample.com"]),
        ("login.example.com", ["https://example.com"]),
        ("localhost", ["http://127.0.0.1:8000"]),
    ],
)
def test_rp_id_that_does_not_fit_an_origin(settings, rp_id, origins):
    assert ids(settings, rp_id, origins) == ["passkeys.E001"]


@pytest.mark.parametrize("rp_id", ["https://example.com", "example.com:443", "127.0.0.1", ""])
def test_rp_id_that_is_not_a_domain(settings, rp_id):
    assert ids(settings, rp_id, ["https://example.com"]) == ["passkeys.E002"]


@pytest.mark.parametrize("origins", [[], ["example.com"], ["https://example.com/login/"]])
def test_origins_that_are_not_origins(settings, origins):
    assert ids(settings, "example.com", origins) == ["passkeys.E003"]


def test_plain_http_outside_localhost(settings):
    assert ids(settings, "example.com", ["http://example.com"]) == ["passkeys.W001"]


def test_reference_site_passes(settings):
    assert check_webauthn_settings(None) == []
