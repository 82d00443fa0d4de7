"""CAPTCHA providers behind one small interface (``base.CaptchaProvider``).

``provider_for(settings)`` answers the provider the administrator chose: the built-in proof of
work (``proof_of_work``), or Turnstile, hCaptcha, reCAPTCHA v2 or v3 (``remote``, the one module
that talks to their servers).
"""

from __future__ import annotations

from .base import CaptchaProvider, CaptchaResult, Outcome
from .proof_of_work import ProofOfWork

__all__ = ["CaptchaProvider", "CaptchaResult", "Outcome", "provider_for"]


def provider_for(protection_settings) -> CaptchaProvider:
    """The provider configured in ``AttackProtectionSettings``."""
    from ..models import CaptchaProvider as Choice

    choice = protection_settings.captcha_provider
    if choice == Choice.PROOF_OF_WORK:
        return ProofOfWork(protection_settings.pow_difficulty)
    from . import remote

    key, secret = protection_settings.captcha_site_key, protection_settings.captcha_secret
    if choice == Choice.TURNSTILE:
        return remote.Turnstile(key, secret)
    if choice == Choice.HCAPTCHA:
        return remote.HCaptcha(key, secret)
    if choice == Choice.RECAPTCHA_V2:
        return remote.RecaptchaV2(key, secret)
    if choice == Choice.RECAPTCHA_V3:
        return remote.RecaptchaV3(key, secret, protection_settings.recaptcha_min_score)
    return ProofOfWork(protection_settings.pow_difficulty)
