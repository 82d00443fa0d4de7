"""System checks of Sift: the reference site passes; a deployment that would never retry events
is warned, with a hint."""

from __future__ import annotations

from fraud.sift.checks import check_sift_deployment


def test_the_reference_site_passes():
    assert check_sift_deployment(None) == []


def test_no_periodic_retry_is_a_warning(settings):
    settings.CELERY_BEAT_SCHEDULE = {}
    (warning,) = check_sift_deployment(None)
    assert warning.id == "fraud.W030" and "celery -A config beat" in warning.hint
