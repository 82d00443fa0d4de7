"""Matching client addresses against the administrator's IP rules."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from ciam.client_ip import clean_ip


@dataclass(frozen=True)
class IPRuleMatch:
    action: str  # "allow" | "deny"
    network: str
    note: str = ""


class IPRuleSet:
    """The rules compiled once per settings load; ``match`` is a scan without queries."""

    def __init__(self, rules: Iterable) -> None:
        self._rules = []
        for rule in rules:
            try:
                network = ipaddress.ip_network(rule.network, strict=False)
            except ValueError:  # a row written around the model's validation
                continue
            self._rules.append((network, IPRuleMatch(rule.action, str(network), rule.note)))
        # Deny first: a deny rule wins over an allow rule covering the same address.
        self._rules.sort(key=lambda item: item[1].action != "deny")

    def __len__(self) -> int:
        return len(self._rules)

    def match(self, ip: str | None) -> IPRuleMatch | None:
        """The rule covering ``ip`` (deny rules first), or None."""
        ip = clean_ip(ip)
        if ip is None or not self._rules:
            return None
        address = ipaddress.ip_address(ip)
        for network, found in self._rules:
            if address.version == network.version and address in network:
                return found
        return None
