"""Admin lists of the suite answer a filter the database cannot apply with a 400, not a 500."""

import pytest

LISTS = [
    "/admin/ciam_fraud/securityevent/",
    "/admin/ciam_fraud/bruteforceblock/",
    "/admin/ciam_fraud/throttlestate/",
]


@pytest.mark.django_db
@pytest.mark.parametrize("url", LISTS)
def test_an_ip_filter_that_is_not_an_address_is_a_400(admin_client, url):
    response = admin_client.get(f"{url}?ip=notanip")
    assert response.status_code == 400
    assert "valid IPv4 or IPv6 address" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("url", LISTS)
def test_a_real_address_filters(admin_client, url):
    assert admin_client.get(f"{url}?ip=203.0.113.5").status_code == 200
