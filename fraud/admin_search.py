"""Admin search by IP address or by user, for the suite's rows about sign-ins.

``SearchByIPOrUser`` is a ``ModelAdmin`` mixin for models with ``ip``, ``user`` and
``identifier_hash`` fields (the security event log, brute-force blocks). A term that is an IP
address finds that address; any other term finds the rows of the user whose email or username it
is, and the rows where it was typed (failed attempts, whose account is not known, are found that
way). Identifiers are stored hashed, so a typed identifier matches only exactly (any case).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from ciam.client_ip import clean_ip
from ciam.device import hash_identifier


def filter_by_ip_or_user(queryset: QuerySet, term: str) -> QuerySet:
    """The rows of ``queryset`` that ``term`` names (see the module docstring); all of them for
    a blank term."""
    term = term.strip()
    if not term:
        return queryset
    ip = clean_ip(term)
    if ip:
        return queryset.filter(ip=ip)
    User = get_user_model()
    users = User.objects.filter(
        Q(email__iexact=term) | Q(**{f"{User.USERNAME_FIELD}__iexact": term})
    )
    return queryset.filter(Q(user__in=users) | Q(identifier_hash=hash_identifier(term)))


class SearchByIPOrUser:
    # Searched by get_search_results below; listed so the admin shows the search box.
    search_fields = ("ip",)

    def get_search_results(self, request, queryset, search_term):
        return filter_by_ip_or_user(queryset, search_term), False
