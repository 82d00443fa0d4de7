"""The masking rules of SIFT.md, exactly, and that logs and pages never hold a secret whole."""

from __future__ import annotations

import logging

import pytest

from fraud.sift.masking import (
    mask_api_key,
    mask_email,
    mask_ip,
    mask_name,
    mask_payload,
    mask_phone,
)
from tests.fraud.sift_support import (  # noqa: F401
    celery_eager_fixture,
    login,
    sift_fixture,
    sift_server_fixture,
)


@pytest.mark.parametrize(
    ("key", "masked"),
    [
        ("abcdefgh12345678", "abcdefgh********"),
        ("abcde", "ab***"),
        ("", ""),
    ],
)
def test_api_key_keeps_its_first_half(key, masked):
    assert mask_api_key(key) == masked


@pytest.mark.parametrize(
    ("email", "masked"),
    [
        ("alice@example.com", "ali**@example.com"),
        ("bo@example.com", "bo@example.com"),
        ("jonathan.smith@mail.example.org", "jon***********@mail.example.org"),
    ],
)
def test_email_keeps_the_first_three_characters_of_the_local_part(email, masked):
    assert mask_email(email) == masked


@pytest.mark.parametrize(
    ("phone", "masked"),
    [("+14155550123", "********0123"), ("+33 6 12 34 56 78", "*************5678")],
)
def test_phone_keeps_its_last_four_digits(phone, masked):
    assert mask_phone(phone) == masked


@pytest.mark.parametrize(
    ("name", "masked"),
    [("alice", "a***e"), ("Erin Smith", "E********h"), ("al", "**"), ("a", "*")],
)
def test_username_and_name_keep_first_and_last_character(name, masked):
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("ip", "masked"),
    [
        ("203.0.113.9", "203.0.*.*"),
        ("2001:db8:85a3:8d3:1319:8a2e:370:7348", "2001:db8:85a3:8d3:*:*:*:*"),
        ("2001:db8::1", "2001:db8:0:0:*:*:*:*"),
        ("not-an-ip", "********"),
    ],
)
def test_ipv4_keeps_two_octets_and_ipv6_four_groups(ip, masked):
    assert mask_ip(ip) == masked


def test_payload_masks_every_personal_field_and_the_key():
    payload = {
        "$type": "$login",
        "$api_key": "abcdefgh12345678",
        "$user_id": "a" * 64,
        "$user_email": "alice@example.com",
        "$verification_phone_number": "+14155550123",
        "$username": "alice",
        "$ip": "203.0.113.9",
        "$browser": {"$user_agent": "UA/1"},
    }
    assert mask_payload(payload) == {
        "$type": "$login",
        "$api_key": "abcdefgh********",
        "$user_id": "a" * 64,  # already a hash
        "$user_email": "ali**@example.com",
        "$verification_phone_number": "********0123",
        "$username": "a***e",
        "$ip": "203.0.*.*",
        "$browser": {"$user_agent": "UA/1"},
    }


@pytest.mark.django_db(transaction=True)
def test_logged_payloads_are_masked(sift, user, password, client, caplog):
    sift.configure(
        publish_logins=True, include_profile=True, include_device=True, log_payloads=True
    )
    with caplog.at_level(logging.INFO, logger="ciam.fraud.sift"):
        login(client, "alice", password, REMOTE_ADDR="203.0.113.9")
    text = caplog.text
    assert "ali**@example.com" in text and "203.0.*.*" in text and "a***e" in text
    assert sift.server.api_key[: len(sift.server.api_key) // 2] + "*" in text
    for secret in (sift.server.api_key, "alice@example.com", "203.0.113.9", '"alice"'):
        assert secret not in text


@pytest.mark.django_db(transaction=True)
def test_nothing_is_logged_when_the_toggle_is_off(sift, user, password, client, caplog):
    sift.configure(publish_logins=True, include_profile=True)
    with caplog.at_level(logging.INFO, logger="ciam.fraud.sift"):
        login(client, "alice", password)
    assert "payload" not in caplog.text
    assert len(sift.events()) == 1
