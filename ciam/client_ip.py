"""The client's IP address, trusting ``X-Forwarded-For`` only through configured proxies."""

from __future__ import annotations

import ipaddress

from django.http import HttpRequest

from .conf import settings

_REQUEST_ATTR = "ciam_client_ip"


def clean_ip(value: str | None) -> str | None:
    """A normalised IP address string, or None when ``value`` is not one.

    Zone ids (``fe80::1%eth0``), brackets and ports are dropped; IPv4-mapped IPv6 addresses
    become IPv4 so one client has one address.
    """
    if not value:
        return None
    value = value.strip()[:100]
    if value.startswith("["):
        value = value[1:].split("]", 1)[0]
    elif value.count(":") == 1:  # IPv4 with a port
        value = value.split(":", 1)[0]
    value = value.split("%", 1)[0]
    try:
        ip = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return str(ip)


def get_client_ip(request: HttpRequest) -> str:
    """The address of the client that sent ``request``.

    With ``CIAM_TRUSTED_PROXY_COUNT = N`` the N-th address from the right of
    ``X-Forwarded-For`` is taken (each trusted proxy appends the address it saw); anything
    further left was written by the client and is ignored. A header shorter than N, or an
    address that does not parse, falls back to ``REMOTE_ADDR``.
    """
    cached = getattr(request, _REQUEST_ATTR, None)
    if cached:
        return cached
    ip = None
    count = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if count > 0 and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",")]
        if len(hops) >= count:
            ip = clean_ip(hops[-count])
    ip = ip or clean_ip(request.META.get("REMOTE_ADDR")) or "0.0.0.0"  # noqa: S104
    setattr(request, _REQUEST_ATTR, ip)
    return ip


def network_of(ip: str) -> str:
    """The network an address belongs to for reputation purposes: /24 for IPv4, /64 for IPv6."""
    addr = ipaddress.ip_address(ip)
    prefix = 24 if addr.version == 4 else 64
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))
