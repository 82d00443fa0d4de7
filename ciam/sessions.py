"""Sign a user out of every browser."""

from __future__ import annotations

from importlib import import_module

from django.conf import settings

from .models import KnownDevice


def end_all_sessions(user) -> int:
    """End every session the user signed in with, whatever the session backend.

    Sessions are found through the devices the user signed in from (``KnownDevice``), so this
    costs one query for the user, not a scan of every session of the site. Returns how many
    sessions were ended.
    """
    store = import_module(settings.SESSION_ENGINE).SessionStore
    keys = list(
        KnownDevice.objects.filter(user=user)
        .exclude(session_key="")
        .values_list("session_key", flat=True)
    )
    ended = 0
    for key in keys:
        session = store(session_key=key)
        if session.exists(key):
            session.delete(key)
            ended += 1
    KnownDevice.objects.filter(user=user).update(session_key="")
    return ended
