"""Settings, all read from the environment (SPEC §8); `.env.example` lists every name.

Local default (no variables set): DEBUG on, SQLite file, eager Celery tasks, local-memory cache,
self-mint on, the local x402 facilitator on 127.0.0.1:8402. Production sets DEBUG=0 and must
provide SECRET_KEY; nothing secret has a production default.
"""

from __future__ import annotations

import sys
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. With DEBUG off the process refuses to start without one: "
            "set SECRET_KEY to a long random string (see .env.example)."
        )
    SECRET_KEY = "local-development-only-not-a-secret"  # noqa: S105 - DEBUG only

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "accounts",
    "billing",
    "demo_sessions",
    "tickets",
    "webhooks",
    "cookbook",
]

MIDDLEWARE = [
    "support_project.api.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "support_project.api.middleware.ApiBodyGuardMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "support_project.api.middleware.ApiErrorPageMiddleware",
]

ROOT_URLCONF = "support_project.urls"
WSGI_APPLICATION = "support_project.wsgi.application"
ASGI_APPLICATION = "support_project.asgi.application"

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
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=0))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Many threads (chat, eager tasks) write to one file locally: wait instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
DB_POOL_MAX_SIZE = env.int("DB_POOL_MAX_SIZE", default=0)
if DB_POOL_MAX_SIZE and DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql"):
    # psycopg's connection pool (Django ≥ 5.1): no connect per request, which ASGI + CONN_MAX_AGE
    # can't give safely. Size it to the threads a worker runs (requests + tool calls).
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1, "max_size": DB_POOL_MAX_SIZE, "timeout": env.float("DB_POOL_TIMEOUT_SECONDS", default=10.0),
    }
if env.str("TEST_DB_NAME", default=""):
    # Lets several test runs share one PostgreSQL server without dropping each other's database.
    DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DB_NAME")}
IS_POSTGRES = DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache, rate limits, Celery broker -----------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "TIMEOUT": 300,
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "socket_connect_timeout": 2}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing must not hang an API request when the broker is down: the outbox sweeper catches up.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BEAT_SCHEDULE: dict = {}  # filled by the apps' celery modules (see support_project/celery.py)

# --- Product settings ----------------------------------------------------------------------------
AGENT_SELF_MINT = env.bool("AGENT_SELF_MINT", default=DEBUG)
AGENT_STARTING_GRANT_MICROS = env.int("AGENT_STARTING_GRANT_MICROS", default=200_000)  # $0.20
TICKET_PRICE_MICROS = env.int("TICKET_PRICE_MICROS", default=10_000)  # $0.01
BUG_BOUNTY_MICROS = env.int("BUG_BOUNTY_MICROS", default=1_000_000)  # $1.00
IDEMPOTENCY_TTL_SECONDS = env.int("IDEMPOTENCY_TTL_SECONDS", default=24 * 3600)

X402_FACILITATOR_URL = env.str("X402_FACILITATOR_URL", default="http://127.0.0.1:8402")
X402_NETWORK = env.str("X402_NETWORK", default="eip155:84532")
# A well-known test address; production must set its own receiving address.
X402_PAY_TO = env.str("X402_PAY_TO", default="0x209693Bc6afc0C5328bA36FaF03C514EF312287C")
X402_MAX_TIMEOUT_SECONDS = env.int("X402_MAX_TIMEOUT_SECONDS", default=300)
X402_FACILITATOR_TIMEOUT_SECONDS = env.float("X402_FACILITATOR_TIMEOUT_SECONDS", default=10.0)

WEBHOOK_ALLOW_PRIVATE_TARGETS = env.bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", default=False)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
WEBHOOK_MAX_ACTIVE_SUBSCRIPTIONS = env.int("WEBHOOK_MAX_ACTIVE_SUBSCRIPTIONS", default=20)
# The pull feed holds back events younger than this, so a slower transaction can't commit a
# lower sequence number behind a reader's cursor.
WEBHOOK_FEED_SETTLE_SECONDS = env.float("WEBHOOK_FEED_SETTLE_SECONDS", default=2.0)
WEBHOOK_DISABLE_AFTER_DEAD_DELIVERIES = env.int("WEBHOOK_DISABLE_AFTER_DEAD_DELIVERIES", default=5)

LLM_PROVIDER = env.str("LLM_PROVIDER", default="builtin")
LLM_BASE_URL = env.str("LLM_BASE_URL", default="")
LLM_API_KEY = env.str("LLM_API_KEY", default="")
LLM_MODEL = env.str("LLM_MODEL", default="")
LLM_TIMEOUT_SECONDS = env.float("LLM_TIMEOUT_SECONDS", default=30.0)
LLM_MAX_TOOL_ROUNDS = env.int("LLM_MAX_TOOL_ROUNDS", default=4)

# Requests per minute per token; 0 disables the limit (used by benchmarks).
RATE_LIMIT_PER_MINUTE = env.int("RATE_LIMIT_PER_MINUTE", default=600)
RATE_LIMIT_ANON_PER_MINUTE = env.int("RATE_LIMIT_ANON_PER_MINUTE", default=120)

API_MAX_BODY_BYTES = 64 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES

# --- Attachments (SPEC §10) -----------------------------------------------------------------------
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)  # per file
ATTACHMENT_MAX_TOTAL_BYTES = env.int("ATTACHMENT_MAX_TOTAL_BYTES", default=50 * 1024 * 1024)  # per ticket
ATTACHMENT_MAX_PER_MESSAGE = env.int("ATTACHMENT_MAX_PER_MESSAGE", default=10)
# MCP tool calls carry files as base64 inside a 256 KiB JSON body: each decoded file at most this.
ATTACHMENT_INLINE_MAX_BYTES = env.int("ATTACHMENT_INLINE_MAX_BYTES", default=128 * 1024)
ATTACHMENT_UNATTACHED_TTL_SECONDS = env.int("ATTACHMENT_UNATTACHED_TTL_SECONDS", default=24 * 3600)
# "filesystem" (a git-ignored folder under the project) or "s3" (django-storages, boto3).
ATTACHMENT_STORAGE = env.str("ATTACHMENT_STORAGE", default="filesystem")
ATTACHMENT_ROOT = env.path("ATTACHMENT_ROOT", default=BASE_DIR / "var" / "attachments")
_ATTACHMENT_BACKENDS = {
    "filesystem": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(ATTACHMENT_ROOT), "base_url": None,
                    "file_permissions_mode": 0o600, "directory_permissions_mode": 0o700},
    },
    "s3": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("ATTACHMENT_S3_BUCKET", default=""),
            "endpoint_url": env.str("ATTACHMENT_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("ATTACHMENT_S3_REGION", default="") or None,
            "access_key": env.str("ATTACHMENT_S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("ATTACHMENT_S3_SECRET_ACCESS_KEY", default="") or None,
            "location": env.str("ATTACHMENT_S3_PREFIX", default="attachments"),
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
            "addressing_style": env.str("ATTACHMENT_S3_ADDRESSING_STYLE", default="") or None,
        },
    },
}
if ATTACHMENT_STORAGE not in _ATTACHMENT_BACKENDS:
    raise ImproperlyConfigured(f"ATTACHMENT_STORAGE must be one of {sorted(_ATTACHMENT_BACKENDS)}.")
if ATTACHMENT_STORAGE == "s3" and not _ATTACHMENT_BACKENDS["s3"]["OPTIONS"]["bucket_name"]:
    raise ImproperlyConfigured("ATTACHMENT_STORAGE=s3 needs ATTACHMENT_S3_BUCKET (see .env.example).")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "attachments": _ATTACHMENT_BACKENDS[ATTACHMENT_STORAGE],
}

# --- DRF + OpenAPI ---------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.permissions.IsAgent"],
    "DEFAULT_PARSER_CLASSES": ["support_project.api.parsers.StrictJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_THROTTLE_CLASSES": ["support_project.api.throttling.TokenRateThrottle"],
    "EXCEPTION_HANDLER": "support_project.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
    "UNAUTHENTICATED_TOKEN": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Support desk API",
    "DESCRIPTION": "Support tickets for an agent-native data API: tickets, threads, billing, events.",
    "VERSION": "1.0.0",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",  # self-hosted, no CDN
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SECURITY": [{"bearerAuth": []}],
    "APPEND_COMPONENTS": {
        "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "support_project.api.schema.postprocess_error_responses",
    ],
}

# --- Auth, sessions, static --------------------------------------------------------------------
LOGIN_URL = "/ui-traffic/login"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]

TESTING = "pytest" in sys.modules

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["stderr"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}
