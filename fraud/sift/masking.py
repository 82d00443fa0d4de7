"""Masks for what Sift payloads carry, for logs and admin pages (rules in SIFT.md).

The API key keeps its first half; an email the first 3 characters of its local part; a phone
number its last 4 digits; a username or name its first and last character; an IPv4 address its
first two octets, an IPv6 address its first four groups.
"""

from __future__ import annotations

import ipaddress
from typing import Any

MASK = "*"


def mask_api_key(key: str) -> str:
    """``abcd****``: the second half replaced, so the key never appears whole."""
    if not key:
        return ""
    keep = len(key) // 2
    return key[:keep] + MASK * (len(key) - keep)


def mask_email(email: str) -> str:
    """``ali**@example.com``: the first 3 characters of the local part, then stars."""
    if not email:
        return ""
    local, at, domain = email.rpartition("@")
    if not at:
        return mask_name(email)
    return local[:3] + MASK * max(len(local) - 3, 0) + "@" + domain


def mask_phone(phone: str) -> str:
    """``*******5678``: the last 4 digits only."""
    if not phone:
        return ""
    digits = [c for c in phone if c.isdigit()]
    last4 = "".join(digits[-4:])
    return MASK * max(len(phone) - len(last4), 0) + last4


def mask_name(name: str) -> str:
    """``a***e``: the first and last character; shorter values are starred whole."""
    if not name:
        return ""
    if len(name) <= 2:
        return MASK * len(name)
    return name[0] + MASK * (len(name) - 2) + name[-1]


def mask_ip(ip: str) -> str:
    """``203.0.*.*`` or ``2001:db8:85a3:8d3:*:*:*:*``; anything else is starred whole."""
    if not ip:
        return ""
    try:
        address = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return MASK * min(len(ip), 8)
    if address.version == 4:
        octets = str(address).split(".")
        return ".".join([*octets[:2], MASK, MASK])
    groups = [group.lstrip("0") or "0" for group in address.exploded.split(":")]
    return ":".join([*groups[:4], MASK, MASK, MASK, MASK])


def mask_verified_value(value: str) -> str:
    return mask_email(value) if "@" in (value or "") else mask_phone(value)


_FIELD_MASKS = {
    "$api_key": mask_api_key,
    "$user_email": mask_email,
    "$phone": mask_phone,
    "$verification_phone_number": mask_phone,
    "$username": mask_name,
    "$name": mask_name,
    "$ip": mask_ip,
    "$verified_value": mask_verified_value,
}


def mask_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """A copy of a Sift payload with every personal field and the key masked."""
    masked: dict[str, Any] = {}
    for key, value in payload.items():
        mask = _FIELD_MASKS.get(key)
        if mask is not None and isinstance(value, str):
            masked[key] = mask(value)
        elif isinstance(value, dict):
            masked[key] = mask_payload(value)
        else:
            masked[key] = value
    return masked
