"""The page behind the unblock link of a brute-force email.

``GET /fraud/unblock/<token>/`` shows what the link does and a button; only the ``POST`` (with
its CSRF token) lifts the block, so mail scanners that open links do not spend it. A bad,
expired, used or pointless link answers 400 with a page that says which.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from . import decisions, unblock
from .models import BruteForceBlock

_PROBLEMS = {
    "invalid": _("This unblock link is not valid. Check that you copied all of it."),
    "expired": _("This unblock link has expired."),
    "used": _("This unblock link was already used."),
    "ended": _("There is nothing left to unblock: the block has already ended."),
}


# The page carries the token: no cache may keep it.
@never_cache
@require_http_methods(["GET", "POST"])
def unblock_view(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "POST":
        outcome = unblock.redeem(token)
        if not outcome.problem:
            decisions.lifted(request, [outcome.block], BruteForceBlock.Release.LINK)
            return render(request, "fraud/unblock_done.html")
    else:
        outcome = unblock.peek(token)
    if outcome.problem:
        context = {
            "message": _PROBLEMS[outcome.problem],
            "advice": _(
                "A new link is emailed if more sign-ins are blocked. You can also reset your "
                "password, which lifts the block."
            ),
        }
        return render(request, "ciam/link_problem.html", context, status=400)
    return render(request, "fraud/unblock_confirm.html", {"token": token})
