"""Settings of the reference site.

With no environment set, the embedded default runs: SQLite, local-memory cache, Celery tasks
run eagerly in-process, email printed to the console. Production sets DATABASE_URL, REDIS_URL,
SECRET_KEY, ALLOWED_HOSTS, DEBUG=false and EMAIL_URL (or the EMAIL_* variables).
"""

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from ciam import conf as ciam_conf
from fraud.console.schedule import BEAT_SCHEDULE as CONSOLE_BEAT_SCHEDULE
from fraud.sift.schedule import BEAT_SCHEDULE as SIFT_BEAT_SCHEDULE
from notifications.schedule import BEAT_SCHEDULE as NOTIFICATIONS_BEAT_SCHEDULE
from passkeys.schedule import BEAT_SCHEDULE as PASSKEYS_BEAT_SCHEDULE

BASE_DIR = Path(__file__).resolve().parent.parent
ENV = os.environ


def env_bool(name: str, default: bool) -> bool:
    value = ENV.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in ENV.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", "SECRET_KEY" not in ENV)
# The embedded default needs no secret; production must set one.
SECRET_KEY = ENV.get("SECRET_KEY", "django-insecure-ciam-demo-only-never-use-in-production")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    # django.contrib.admin with the suite's console as admin.site (grouped pages, sign-in
    # through the hosted login, optional second factor for staff).
    "ciam.admin_console.apps.ConsoleAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    # The suite's apps come before allauth so that their templates override allauth's.
    "ciam",
    "fraud",
    "passkeys",
    "notifications",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    # Social login: the button shows once a GitHub app is added in the admin (Social applications).
    "allauth.socialaccount.providers.github",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "config.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "ciam.middleware.DeviceCookieMiddleware",
    "ciam.middleware.FormStatusMiddleware",
]

ROOT_URLCONF = "config.urls"
CSRF_FAILURE_VIEW = "ciam.views.csrf_failure"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "config" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def database_from_env() -> dict:
    url = ENV.get("DATABASE_URL")
    if not url:
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "var" / "db.sqlite3"}
    import dj_database_url

    return dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)


DATABASES = {"default": database_from_env()}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    (BASE_DIR / "var").mkdir(exist_ok=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = ENV.get("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "ciam.cache.FailOpenRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": ENV.get("CACHE_KEY_PREFIX", "ciam-site"),
            # A Redis outage must not hang a login: fail fast, the suite fails open.
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # The embedded default is one process by design; production sets REDIS_URL.
    SILENCED_SYSTEM_CHECKS = ["ciam.W001"]

SESSION_ENGINE = "django.contrib.sessions.backends.db"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Have I Been Pwned (when breached password detection is on in the admin).
    {"NAME": "fraud.protection.breached.BreachedPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
SITE_ID = 1
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "ciam:account_security"

# --- Email ---------------------------------------------------------------------------------


def email_from_env() -> dict:
    url = ENV.get("EMAIL_URL")
    if url:
        parts = urlparse(url)
        options = parse_qs(parts.query)
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": parts.hostname or "localhost",
            "EMAIL_PORT": parts.port or 25,
            "EMAIL_HOST_USER": unquote(parts.username or ""),
            "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
            "EMAIL_USE_TLS": parts.scheme == "submission" or "tls" in options,
            "EMAIL_USE_SSL": parts.scheme == "smtps" or "ssl" in options,
        }
    if "EMAIL_HOST" in ENV:
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": ENV["EMAIL_HOST"],
            "EMAIL_PORT": int(ENV.get("EMAIL_PORT", "25")),
            "EMAIL_HOST_USER": ENV.get("EMAIL_HOST_USER", ""),
            "EMAIL_HOST_PASSWORD": ENV.get("EMAIL_HOST_PASSWORD", ""),
            "EMAIL_USE_TLS": env_bool("EMAIL_USE_TLS", False),
            "EMAIL_USE_SSL": env_bool("EMAIL_USE_SSL", False),
        }
    return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}


globals().update(email_from_env())
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = ENV.get("DEFAULT_FROM_EMAIL", "Account security <security@localhost>")

# --- Celery --------------------------------------------------------------------------------

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL or env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A dead broker must not hang a request: publishing gives up quickly and the outbox retries.
CELERY_BROKER_CONNECTION_TIMEOUT = 1.0
CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 0, "socket_connect_timeout": 1.0}
# Periodic tasks of the apps (`celery -A config beat`): the Sift outbox retries; unsent
# security emails, administrator digests and the delivery log's purge; the Security Center's
# hourly roll-ups; the purge of passkey challenges never answered.
CELERY_BEAT_SCHEDULE = {
    **SIFT_BEAT_SCHEDULE,
    **NOTIFICATIONS_BEAT_SCHEDULE,
    **CONSOLE_BEAT_SCHEDULE,
    **PASSKEYS_BEAT_SCHEDULE,
}

# --- allauth -------------------------------------------------------------------------------

ACCOUNT_ADAPTER = "ciam.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email", "username"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_USERNAME_MIN_LENGTH = 3
# django-ciam owns brute-force protection and IP throttling: allauth's own limits are set so
# they never fire before the suite's documented thresholds (see README, "Rate limits").
ACCOUNT_RATE_LIMITS = ciam_conf.ALLAUTH_RATE_LIMITS
# The hosted pages' forms, with bounded fields.
ACCOUNT_FORMS = ciam_conf.ALLAUTH_FORMS

SOCIALACCOUNT_PROVIDERS = {"github": {"SCOPE": ["read:user", "user:email"]}}
SOCIALACCOUNT_QUERY_EMAIL = True
# GitHub reports whether an address is verified; a verified one needs no second confirmation.
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_LOGIN_ON_GET = False

# --- django-otp ----------------------------------------------------------------------------

OTP_TOTP_ISSUER = ENV.get("OTP_TOTP_ISSUER", "django-ciam demo")

# --- django-ciam deployment settings -------------------------------------------------------

CIAM_TRUSTED_PROXY_COUNT = int(ENV.get("CIAM_TRUSTED_PROXY_COUNT", "0"))
ALLAUTH_TRUSTED_PROXY_COUNT = CIAM_TRUSTED_PROXY_COUNT
CIAM_ENCRYPTION_KEY = ENV.get("CIAM_ENCRYPTION_KEY")
CIAM_SIFT_API_URL = ENV.get("CIAM_SIFT_API_URL", "https://api.sift.com")
CIAM_HIBP_API_URL = ENV.get("CIAM_HIBP_API_URL", "https://api.pwnedpasswords.com")
CIAM_GEOIP_PATH = ENV.get("CIAM_GEOIP_PATH")
CIAM_WEBAUTHN_RP_ID = ENV.get("CIAM_WEBAUTHN_RP_ID", "localhost")
CIAM_WEBAUTHN_ORIGINS = env_list("CIAM_WEBAUTHN_ORIGINS", "http://localhost:8000")

if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"ciam": {"handlers": ["console"], "level": ENV.get("CIAM_LOG_LEVEL", "INFO")}},
}
