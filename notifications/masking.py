"""Masking email addresses wherever the notifications app shows or stores text about a message:
the admin's delivery log, the stored ``last_error`` and the log lines of failed sends."""

from __future__ import annotations

import re

HIDDEN = "•••"

# Anything shaped like an address: SMTP errors quote recipients in several ways
# ("{'a@b.c': (550, ...)}", "<a@b.c>", "a@b.c"), all of which this finds.
_ADDRESS = re.compile(r"[^\s@<>'\"(){}\[\],;:]+@[^\s@<>'\"(){}\[\],;:]+")


def mask_email(address: str) -> str:
    """``a•••@example.com``: enough to tell mailboxes apart, not to harvest them."""
    local, at, domain = (address or "").rpartition("@")
    if not at:
        return HIDDEN if address else ""
    return f"{local[:1]}{HIDDEN}@{domain}"


def mask_addresses(text: str) -> str:
    """``text`` with every email address in it masked as ``mask_email`` does."""
    return _ADDRESS.sub(lambda match: mask_email(match.group(0)), text or "")
