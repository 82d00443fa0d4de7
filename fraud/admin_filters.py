"""Admin lists whose filters the database cannot apply answer 400 with a message, not 500.

``?ip=notanip`` matches nothing on SQLite and raises ``ValueError`` on PostgreSQL; a value of
the wrong type for any field raises too. ``FilterErrorsAnswer400`` is a ``ModelAdmin`` mixin for
the suite's lists (the security event log, brute-force blocks, throttled addresses).
"""

from __future__ import annotations

from django.core.exceptions import BadRequest, FieldDoesNotExist, ValidationError
from django.core.validators import validate_ipv46_address
from django.db import DatabaseError, models
from django.db.models.constants import LOOKUP_SEP
from django.http import HttpResponseBadRequest
from django.utils.translation import gettext as _


class UnusableFilters(BadRequest):
    """The list's filters cannot be applied; the message is for the administrator."""


def bad_request(message: str) -> HttpResponseBadRequest:
    # Plain text: the message may quote the query string.
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


class FilterErrorsAnswer400:
    def get_changelist_instance(self, request):
        """Raises ``UnusableFilters`` where the database cannot apply the filters."""
        try:
            self._check_addresses(request)
            # Building the list counts its rows: a value the database refuses fails here.
            return super().get_changelist_instance(request)
        except ValidationError as error:
            raise UnusableFilters(" ".join(error.messages)) from error
        except (ValueError, DatabaseError) as error:
            raise UnusableFilters(
                _("These filters do not apply to %(things)s.")
                % {"things": self.model._meta.verbose_name_plural}
            ) from error

    def _check_addresses(self, request):
        # SQLite would match nothing, PostgreSQL raise ValueError: both say so instead.
        for lookup, values in request.GET.lists():
            try:
                field = self.model._meta.get_field(lookup.split(LOOKUP_SEP)[0])
            except FieldDoesNotExist:
                continue
            if not isinstance(field, models.GenericIPAddressField):
                continue
            for value in values:
                try:
                    validate_ipv46_address(value)
                except ValidationError:
                    raise ValidationError(
                        _("To filter by %(field)s, give a valid IPv4 or IPv6 address.")
                        % {"field": field.verbose_name}
                    ) from None

    def changelist_view(self, request, extra_context=None):
        try:
            return super().changelist_view(request, extra_context=extra_context)
        except UnusableFilters as error:
            return bad_request(str(error))
