import pytest
from django.test import RequestFactory

from ciam.client_ip import clean_ip, get_client_ip, network_of


def request(remote="198.51.100.7", forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_forwarded_header_is_ignored_without_trusted_proxies(settings):
    settings.CIAM_TRUSTED_PROXY_COUNT = 0
    assert get_client_ip(request(forwarded="1.2.3.4")) == "198.51.100.7"


def test_one_trusted_proxy_takes_the_address_it_appended(settings):
    settings.CIAM_TRUSTED_PROXY_COUNT = 1
    # The client forged "6.6.6.6"; the proxy appended the real peer address last.
    assert get_client_ip(request(forwarded="6.6.6.6, 203.0.113.5")) == "203.0.113.5"


def test_two_trusted_proxies(settings):
    settings.CIAM_TRUSTED_PROXY_COUNT = 2
    forwarded = "6.6.6.6, 203.0.113.5, 10.0.0.2"
    assert get_client_ip(request(forwarded=forwarded)) == "203.0.113.5"


def test_header_shorter_than_the_proxy_count_falls_back_to_the_peer(settings):
    settings.CIAM_TRUSTED_PROXY_COUNT = 2
    assert get_client_ip(request(forwarded="203.0.113.5")) == "198.51.100.7"


def test_garbage_in_the_header_falls_back_to_the_peer(settings):
    settings.CIAM_TRUSTED_PROXY_COUNT = 1
    assert get_client_ip(request(forwarded="<script>, not-an-ip")) == "198.51.100.7"


@pytest.mark.parametrize(
    "raw, clean",
    [
        ("203.0.113.5", "203.0.113.5"),
        (" 203.0.113.5:8443 ", "203.0.113.5"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("fe80::1%eth0", "fe80::1"),
        ("::ffff:192.0.2.1", "192.0.2.1"),
        ("2001:DB8::1", "2001:db8::1"),
        ("x" * 10_000, None),
        ("", None),
        (None, None),
    ],
)
def test_clean_ip(raw, clean):
    assert clean_ip(raw) == clean


def test_network_of():
    assert network_of("203.0.113.77") == "203.0.113.0/24"
    assert network_of("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64"
