"""Sift's Events API contract (SIFT.md and Sift's reference), written out independently of the
code under test: the reserved fields of each event type, the required ones, the ``$``-prefixed
enumerations, the ``$user_id`` alphabet, ``$time`` in milliseconds."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

# Fields every event may carry (Sift's Events API: EventsApiRequestFieldSet and browser/app).
COMMON = {
    "$type",
    "$api_key",
    "$user_id",
    "$session_id",
    "$time",
    "$ip",
    "$browser",
    "$app",
    "$brand_name",
    "$site_country",
    "$site_domain",
}
ACCOUNT = {
    "$user_email",
    "$name",
    "$phone",
    "$verification_phone_number",
    "$referrer_user_id",
    "$payment_methods",
    "$billing_address",
    "$shipping_address",
    "$promotions",
    "$social_sign_on_type",
    "$account_types",
}
EVENT_FIELDS = {
    "$create_account": COMMON | ACCOUNT,
    "$update_account": COMMON | ACCOUNT | {"$changed_password"},
    "$login": COMMON
    | {
        "$login_status",
        "$failure_reason",
        "$user_email",
        "$verification_phone_number",
        "$username",
        "$social_sign_on_type",
        "$account_types",
    },
    "$logout": COMMON,
    "$update_password": COMMON
    | {"$reason", "$status", "$user_email", "$verification_phone_number"},
    "$verification": COMMON
    | {
        "$status",
        "$verification_type",
        "$verified_value",
        "$reason",
        "$verified_event",
        "$verified_entity_id",
    },
}
REQUIRED = {
    "$create_account": {"$user_id"},
    "$update_account": {"$user_id"},
    "$login": {"$user_id", "$login_status"},
    "$logout": {"$user_id"},
    "$update_password": {"$user_id", "$reason", "$status"},
    "$verification": {"$user_id", "$session_id", "$status"},
}
ENUMS = {
    ("$login", "$login_status"): {"$success", "$failure"},
    ("$login", "$failure_reason"): {
        "$account_unknown",
        "$account_suspended",
        "$account_disabled",
        "$wrong_password",
    },
    ("$update_password", "$reason"): {"$user_update", "$forgot_password", "$forced_reset"},
    ("$update_password", "$status"): {"$pending", "$success", "$failure"},
    ("$verification", "$status"): {"$pending", "$success", "$failure"},
    ("$verification", "$verification_type"): {
        "$sms",
        "$phone_call",
        "$email",
        "$app_tfa",
        "$captcha",
        "$security_key",
    },
    ("$verification", "$verified_event"): set(EVENT_FIELDS),
}
BROWSER_FIELDS = {"$user_agent", "$accept_language", "$content_language"}
USER_ID = re.compile(r"^[a-zA-Z0-9=.\-_+@:&^%!$]+$")
E164 = re.compile(r"^\+[1-9]\d{7,14}$")
ABUSE_TYPES = {"account_takeover", "payment_abuse", "content_abuse", "promotion_abuse"}


def check_event(body: Any, query: dict[str, str], now_ms: int) -> list[str]:
    """Every way ``body`` breaks SIFT.md, as sentences."""
    if not isinstance(body, dict):
        return ["the body is not a JSON object"]
    problems = []
    event_type = body.get("$type")
    allowed = EVENT_FIELDS.get(event_type)
    if allowed is None:
        return [f"unknown $type {event_type!r}"]
    if not body.get("$api_key"):
        problems.append("$api_key missing from the body")
    for name in REQUIRED[event_type] - set(body):
        problems.append(f"{event_type}: required field {name} missing")
    for name, value in body.items():
        if name.startswith("$"):
            if name not in allowed:
                problems.append(f"{event_type}: {name} is not a reserved field of this event")
            enum = ENUMS.get((event_type, name))
            if enum is not None and value not in enum:
                problems.append(f"{event_type}: {name}={value!r} is not one of {sorted(enum)}")
        elif not re.match(r"^[a-zA-Z0-9_]+$", name):
            problems.append(f"custom field name {name!r} has characters Sift refuses")
        elif name in {"login_status", "failure_reason", "user_id", "session_id"}:
            problems.append(f"{name} without $: Sift takes it for a custom field")
    user_id = body.get("$user_id")
    if "$user_id" in body and not (isinstance(user_id, str) and USER_ID.match(user_id)):
        problems.append(f"$user_id {user_id!r} has characters Sift does not allow")
    when = body.get("$time")
    # Milliseconds: seconds would be ~1.7e9, microseconds ~1.7e15; never in the future.
    if when is not None and (
        not isinstance(when, int)
        or isinstance(when, bool)
        or not 1_000_000_000_000 <= when <= now_ms + 60_000
    ):
        problems.append(f"$time {when!r} is not milliseconds since the epoch")
    browser = body.get("$browser")
    if browser is not None and (not isinstance(browser, dict) or set(browser) - BROWSER_FIELDS):
        problems.append(f"$browser {browser!r} has unknown fields")
    phone = body.get("$verification_phone_number")
    if phone is not None and not (isinstance(phone, str) and E164.match(phone)):
        problems.append(f"$verification_phone_number {phone!r} is not E.164")
    email = body.get("$user_email")
    if email is not None and not (isinstance(email, str) and "@" in email):
        problems.append(f"$user_email {email!r} is not an email address")
    if "$ip" in body:
        try:
            ipaddress.ip_address(body["$ip"])
        except (ValueError, TypeError):
            problems.append(f"$ip {body['$ip']!r} is not an IP address")
    for flag in ("return_score", "return_workflow_status"):
        if flag in query and query[flag] != "true":
            problems.append(f"{flag}={query[flag]!r}")
    if {"return_score", "return_workflow_status"} & set(query):
        abuse = set(filter(None, query.get("abuse_types", "").split(",")))
        if not abuse or abuse - ABUSE_TYPES:
            problems.append(f"abuse_types={query.get('abuse_types')!r}")
    return problems
