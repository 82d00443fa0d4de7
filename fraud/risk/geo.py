"""Where an IP address is, from a MaxMind GeoIP2 database (``CIAM_GEOIP_PATH``).

The only module that imports ``geoip2``. The database is opened once per process and path;
without one (or with one that cannot be read) every look-up answers None and the signals that
need a location are off.
"""

from __future__ import annotations

import ipaddress
import logging
import math
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings

from ciam.client_ip import clean_ip

logger = logging.getLogger("ciam.fraud.risk")

# Used when the database gives no accuracy radius for a point (km).
DEFAULT_ACCURACY_KM = 50
EARTH_RADIUS_KM = 6371.0


@dataclass(frozen=True)
class Location:
    """A located address. ``latitude``/``longitude``/``accuracy_km`` are None with a
    country-only database."""

    country: str
    country_name: str = ""
    city: str = ""
    latitude: float | None = None
    longitude: float | None = None
    accuracy_km: int | None = None

    @property
    def label(self) -> str:
        """ "London, United Kingdom", or just the country."""
        country = self.country_name or self.country
        return f"{self.city}, {country}" if self.city else country


def database_path() -> str | None:
    return getattr(settings, "CIAM_GEOIP_PATH", None) or None


@lru_cache(maxsize=4)
def _open(path: str):
    import geoip2.database

    try:
        reader = geoip2.database.Reader(path)
    except Exception as exc:  # missing, unreadable or not a MaxMind file (InvalidDatabaseError)
        logger.error("GeoIP database %s cannot be read (%s): location signals are off", path, exc)
        return None
    return reader


def reader():
    """The open reader for ``CIAM_GEOIP_PATH``, or None."""
    path = database_path()
    return _open(path) if path else None


def status() -> tuple[bool, str]:
    """Whether location signals can run, and why not, in words for the admin."""
    path = database_path()
    if not path:
        return False, "CIAM_GEOIP_PATH is not set"
    if reader() is None:
        return False, f"the GeoIP database at {path} cannot be read"
    return True, path


def locate(ip: str | None) -> Location | None:
    """The location of ``ip``, or None: no database, an address the database does not know,
    a private, loopback or reserved address, or something that is not an address."""
    path = database_path()
    if not path:
        return None
    ip = clean_ip(ip)
    if ip is None or not ipaddress.ip_address(ip).is_global:
        return None
    return _locate(path, ip)


# Sign-ins come back from the same few addresses: remembering them spares the look-up of the
# previous sign-in's address and of the event row's.
@lru_cache(maxsize=4096)
def _locate(path: str, ip: str) -> Location | None:
    geo = _open(path)
    if geo is None:
        return None
    import geoip2.errors

    try:
        if "City" in geo.metadata().database_type:
            record = geo.city(ip)
            location = record.location
            return Location(
                country=record.country.iso_code or "",
                country_name=record.country.name or "",
                city=record.city.name or "",
                latitude=location.latitude,
                longitude=location.longitude,
                accuracy_km=location.accuracy_radius,
            )
        record = geo.country(ip)
        return Location(country=record.country.iso_code or "", country_name=record.country.name)
    except (geoip2.errors.AddressNotFoundError, ValueError):
        return None
    except Exception:  # a corrupt database must not stop a sign-in
        logger.exception("GeoIP look-up of %s failed", ip)
        return None


def distance_km(a: Location, b: Location) -> float | None:
    """Great-circle distance, or None when either point has no coordinates."""
    if None in (a.latitude, a.longitude, b.latitude, b.longitude):
        return None
    lat1, lon1, lat2, lon2 = map(math.radians, (a.latitude, a.longitude, b.latitude, b.longitude))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def travel_speed_kmh(a: Location, b: Location, hours: float) -> float | None:
    """The speed needed to go from ``a`` to ``b`` in ``hours``, after taking off both points'
    accuracy radius (GeoIP places addresses only roughly). None when it cannot be told."""
    distance = distance_km(a, b)
    if distance is None:
        return None
    slack = (a.accuracy_km or DEFAULT_ACCURACY_KM) + (b.accuracy_km or DEFAULT_ACCURACY_KM)
    distance = max(0.0, distance - slack)
    if distance == 0:
        return 0.0
    # Two sign-ins in the same second are not infinitely fast: one minute at least.
    return distance / max(hours, 1 / 60)
