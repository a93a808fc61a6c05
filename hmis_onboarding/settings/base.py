"""Settings shared by every environment, read from the environment with django-environ.

The embedded default (no DATABASE_URL / REDIS_URL) is SQLite plus kombu's filesystem broker, so
`make run` needs nothing beyond Python. Setting DATABASE_URL / REDIS_URL switches the same code to
PostgreSQL and Redis.
"""

from __future__ import annotations

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(environ.Env().str("HMIS_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env(
    DEBUG=(bool, False),
    ALLOWED_HOSTS=(list, ["localhost", "127.0.0.1", "[::1]"]),
    CSRF_TRUSTED_ORIGINS=(list, []),
    SESSION_IDLE_TIMEOUT_MINUTES=(int, 15),
    SESSION_ABSOLUTE_LIFETIME_HOURS=(int, 12),
    DEMO_MODE=(bool, False),
)

DEBUG = env("DEBUG")
SECRET_KEY = env("SECRET_KEY", default="")
ALLOWED_HOSTS = env("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env("CSRF_TRUSTED_ORIGINS")
# Demo mode: seeded personas with a known TOTP secret; `manage.py demo_totp` prints their codes.
DEMO_MODE = env("DEMO_MODE")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "django_celery_beat",
    "hmis_onboarding",
    "agencies",
    "access_requests",
    "training",
    "rollout",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "hmis_onboarding.audit.AuditContextMiddleware",
    "hmis_onboarding.security.SessionLifetimeMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "hmis_onboarding.token_auth.ApiTokenMiddleware",
    "hmis_onboarding.tenancy.TenantMiddleware",
    "hmis_onboarding.security.MfaRequiredMiddleware",
]

ROOT_URLCONF = "hmis_onboarding.urls"
WSGI_APPLICATION = "hmis_onboarding.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "hmis_onboarding.context_processors.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------
# SQLite runs in WAL mode with IMMEDIATE transactions so that concurrent writers (web + worker +
# beat) queue on the write lock instead of failing with "database is locked" mid-transaction.
SQLITE_PATH = VAR_DIR / "db.sqlite3"
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{SQLITE_PATH}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
                "PRAGMA busy_timeout=20000;"
            ),
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
    # PostgreSQL's JIT compiles any query whose estimated cost is high (a page over a metro CoC's
    # 15k learning paths): ~100 ms of compilation for a query that runs in less. Pages want it off.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------------------
# allauth's rate limits and TOTP replay protection need a cache shared by every process: Redis when
# REDIS_URL is set, otherwise a database table (works across runserver, worker and beat).
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env("REDIS_CACHE_URL", default=REDIS_URL),
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="hmis"),
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "hmis_cache",
        }
    }

# --- Authentication ---------------------------------------------------------------------------------
AUTH_USER_MODEL = "hmis_onboarding.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env.int("PASSWORD_MIN_LENGTH", default=12)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "account_login"

ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = env("ACCOUNT_EMAIL_VERIFICATION", default="mandatory")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_SESSION_REMEMBER = False
# People join a CoC when its staff invite them; nobody signs themselves up.
ACCOUNT_ADAPTER = "hmis_onboarding.adapters.AccountAdapter"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[HMIS Onboarding] "
ACCOUNT_RATE_LIMITS = {
    "login_failed": "5/5m/ip,5/5m/key",
    "login": "30/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
}
MFA_ADAPTER = "hmis_onboarding.adapters.MfaAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env("MFA_TOTP_ISSUER", default="HMIS Onboarding")
# Wrong authenticator codes count against "login_failed" above (allauth keys them per user and per
# address): the sixth wrong code in five minutes locks the person out like a sixth wrong password.
# (allauth reads no "authenticate" key from MFA_RATE_LIMITS; that setting only covers WebAuthn.)
# Session list shows sign-in time, address and browser; per-request "last seen" tracking would
# cost three queries on every page.
USERSESSIONS_TRACK_ACTIVITY = False

# Idle timeout (each CoC may set its own) and absolute session lifetime.
SESSION_IDLE_TIMEOUT_MINUTES = env("SESSION_IDLE_TIMEOUT_MINUTES")
SESSION_ABSOLUTE_LIFETIME_HOURS = env("SESSION_ABSOLUTE_LIFETIME_HOURS")
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_LIFETIME_HOURS * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "hmis_onboarding.views.csrf_failure"

# --- Internationalisation ---------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Scanned signed agreements: larger uploads are refused with a message (agencies/documents.py).
AGREEMENT_UPLOAD_MAX_BYTES = env.int("AGREEMENT_UPLOAD_MAX_BYTES", default=10 * 1024 * 1024)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- E-mail -----------------------------------------------------------------------------------------
EMAIL_CONFIG = env.email("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="HMIS Onboarding <no-reply@hmis-onboarding.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Without a timeout a stalled SMTP server would hold a worker (and its outbox claim) forever.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
# Links in e-mails are absolute: the address people use to reach this site.
SITE_URL = env("SITE_URL", default="http://localhost:8000").rstrip("/")

# --- Notifications (outbox) -------------------------------------------------------------------------
# See hmis_onboarding/notifications.py. Transient SMTP failures retry after
# base · 2^(attempt-1) seconds (half of it random jitter), capped, up to the attempt limit.
NOTIFICATION_MAX_ATTEMPTS = env.int("NOTIFICATION_MAX_ATTEMPTS", default=8)
NOTIFICATION_RETRY_BASE_SECONDS = env.int("NOTIFICATION_RETRY_BASE_SECONDS", default=60)
NOTIFICATION_RETRY_MAX_SECONDS = env.int("NOTIFICATION_RETRY_MAX_SECONDS", default=3000)
# How long a worker owns a row it claimed; a row still "sending" after this is presumed abandoned
# (the worker died) and the outbox flush hands it to another worker.
NOTIFICATION_CLAIM_LEASE_SECONDS = env.int("NOTIFICATION_CLAIM_LEASE_SECONDS", default=300)
# A queued row this long past its due time has presumably lost its task; the flush re-queues it.
NOTIFICATION_FLUSH_GRACE_SECONDS = env.int("NOTIFICATION_FLUSH_GRACE_SECONDS", default=120)
NOTIFICATION_FLUSH_BATCH = env.int("NOTIFICATION_FLUSH_BATCH", default=500)
# The metrics page's roll-up (hmis_onboarding.metric_snapshots): stored figures older than this
# are computed again on the next view (the hourly roll-up normally keeps them younger); "Refresh
# now" is refused while the figures are younger than METRICS_REFRESH_MIN_SECONDS.
METRICS_SNAPSHOT_MAX_AGE_MINUTES = env.int("METRICS_SNAPSHOT_MAX_AGE_MINUTES", default=90)
METRICS_REFRESH_MIN_SECONDS = env.int("METRICS_REFRESH_MIN_SECONDS", default=60)
# Fault injection for the crash tests only: the sending worker kills itself at this point.
NOTIFICATION_FAULT_POINT = env("NOTIFICATION_FAULT_POINT", default="")

# --- REST API ---------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "hmis_onboarding.token_auth.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "hmis_onboarding.pagination.TenantPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "hmis_onboarding.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "HMIS Onboarding API",
    "DESCRIPTION": (
        "Tenant-scoped API for HMIS access onboarding. Every path starts with the CoC's slug; "
        "authenticate with a browser session or a CoC API token (`Authorization: Bearer hmis_…`). "
        "Errors always have the body `{status, code, detail}` (plus `errors` for invalid input)."
    ),
    "VERSION": "1.0.0",
    # Swagger UI and Redoc are served from our own static files (drf-spectacular-sidecar), not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a `status`; name their enums after the model's choices.
    "ENUM_NAME_OVERRIDES": {
        "AssignmentStatusEnum": "access_requests.models.AssignmentStatus",
        "HmisAccountStatusEnum": "access_requests.models.HmisAccountStatus",
    },
}

# --- Celery -----------------------------------------------------------------------------------------
CELERY_BROKER_DIR = VAR_DIR / "celery-broker"
if REDIS_URL:
    CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        # kombu puts broadcast/control exchanges in ./control unless told otherwise.
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
    for _folder in ("queue", "processed", "control"):
        (CELERY_BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_ALWAYS_EAGER = False
# Redis re-delivers a task that is not acknowledged within the visibility timeout; a countdown (ETA)
# longer than that would be delivered twice, so no countdown may exceed it (see notifications.py).
CELERY_MAX_COUNTDOWN_SECONDS = int(CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600)) - 300

# --- Training / LMS ---------------------------------------------------------------------------------
# Keys that encrypt stored LMS API keys, newest first (rotation: prepend the new key, keep the old
# ones until every key was saved again). Empty = a key derived from SECRET_KEY.
LMS_CREDENTIAL_KEYS = env.list("LMS_CREDENTIAL_KEYS", default=[])

# --- Logging ----------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # WeasyPrint logs every layout step at INFO; only its warnings are worth reading.
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # kombu warns on every connection that filesystem:// has no host name; it needs none.
        "kombu.connection": {"level": "ERROR" if CELERY_BROKER_URL == "filesystem://" else "WARNING"},
    },
}


def require(condition: bool, message: str) -> None:
    """Fail fast on a configuration that must not start."""
    if not condition:
        raise ImproperlyConfigured(message)


require(
    NOTIFICATION_FAULT_POINT in ("", "before_claim", "after_claim", "after_accept", "after_commit"),
    "NOTIFICATION_FAULT_POINT must be empty or one of before_claim, after_claim, after_accept, after_commit.",
)
require(NOTIFICATION_MAX_ATTEMPTS >= 1, "NOTIFICATION_MAX_ATTEMPTS must be at least 1.")
require(
    0 < NOTIFICATION_RETRY_BASE_SECONDS <= NOTIFICATION_RETRY_MAX_SECONDS,
    "NOTIFICATION_RETRY_BASE_SECONDS must be positive and at most NOTIFICATION_RETRY_MAX_SECONDS.",
)
require(NOTIFICATION_CLAIM_LEASE_SECONDS >= 1, "NOTIFICATION_CLAIM_LEASE_SECONDS must be positive.")
