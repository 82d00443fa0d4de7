"""The page behind the "This wasn't me" link.

``GET /notifications/not-me/<token>/`` says what securing the account does and shows a button;
only the ``POST`` (with its CSRF token) acts, so mail scanners that open links do not spend it.
Then the browser goes to the page where the user sets a new password. A bad, expired or used
link answers 400 with a page that says which. No sign-in is needed.
"""

from __future__ import annotations

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from . import not_me

_PROBLEMS = {
    "invalid": _("This link is not valid. Check that you copied all of it."),
    "expired": _("This link has expired."),
    "used": _("This link was already used: your account was secured then."),
}


@never_cache
@require_http_methods(["GET", "POST"])
def not_me_view(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "POST":
        result = not_me.report(request, token)
        if not result.problem:
            if getattr(request.user, "pk", None) == result.notification.user_id:
                # This browser's session was among those ended: start a clean one.
                logout(request)
            return redirect(result.reset_url)
    else:
        result = not_me.peek(token)
    if result.problem:
        context = {
            "message": _PROBLEMS[result.problem],
            "advice": _(
                "If you still don't recognise a sign-in or a change, reset your password: that "
                "signs you out everywhere too."
            ),
        }
        return render(request, "ciam/link_problem.html", context, status=400)
    context = {"token": token, "notification": result.notification}
    return render(request, "notifications/not_me_confirm.html", context)
