"""Settings, all read from the environment (SPEC §8); `.env.example` lists every name.

Local default (no variables set): DEBUG on, SQLite file, eager Celery tasks, local-memory cache,
self-mint on, the local x402 facilitator on 127.0.0.1:8402. Production sets DEBUG=0 and must
provide SECRET_KEY and X402_PAY_TO; nothing secret has a production default.

Every variable goes through one of the typed readers below, which fail loudly: a value they
can't read (`DEBUG=maybe`, `DB_POOL_MAX_SIZE=twenty`) stops start-up with the variable's name,
instead of quietly becoming False or a default.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

from support_project import dbpool

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def _raw(name: str) -> str | None:
    """The variable's value, or None when it is unset or blank (blank means "use the default")."""
    value = os.environ.get(name)
    return None if value is None or not value.strip() else value.strip()


def env_bool(name: str, default: bool) -> bool:
    raw = _raw(name)
    if raw is None:
        return default
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean: use 1/0, true/false, yes/no or on/off.")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = _raw(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} is below its minimum of {minimum}.")
    return value


def env_float(name: str, default: float, *, minimum: float | None = None) -> float:
    raw = _raw(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a number.") from None
    if value != value or value in (float("inf"), float("-inf")):  # NaN or infinite
        raise ImproperlyConfigured(f"{name}={raw!r} is not a finite number.")
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} is below its minimum of {minimum}.")
    return value


def env_str(name: str, default: str = "") -> str:
    raw = _raw(name)
    return default if raw is None else raw


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env_str(name, default)
    if value not in choices:
        raise ImproperlyConfigured(f"{name}={value!r} must be one of: {', '.join(choices)}.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = _raw(name)
    return default if raw is None else [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. With DEBUG off the process refuses to start without one: "
            "set SECRET_KEY to a long random string (see .env.example)."
        )
    SECRET_KEY = "local-development-only-not-a-secret"  # noqa: S105 - DEBUG only

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

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
    "agent",
    "webhooks",
    "cookbook",
    "live",
]

MIDDLEWARE = [
    "support_project.api.middleware.RequestIdMiddleware",
    "support_project.api.concurrency.ConcurrencySlotMiddleware",
    "support_project.edge.NulBytePathMiddleware",
    "support_project.edge.ContentSecurityPolicyMiddleware",
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
            # `{{ text|markdown }}` everywhere: the one sanitising renderer (support_project/rendering.py).
            "builtins": ["support_project.template_filters"],
        },
    },
]

# --- Database -----------------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"].setdefault("CONN_MAX_AGE", env_int("DB_CONN_MAX_AGE", 0, minimum=0))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Many threads (chat, eager tasks) write to one file locally: wait instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
DB_POOL_MAX_SIZE = env_int("DB_POOL_MAX_SIZE", 0, minimum=0)
if DB_POOL_MAX_SIZE and DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql"):
    # psycopg's connection pool (Django ≥ 5.1): no connect per request, which ASGI + CONN_MAX_AGE
    # can't give safely. Size it to the threads a worker runs (requests + tool calls).
    # Checked before use by `support_project.dbpool` (no round trip unless the socket says it broke or
    # it idled > 30 s) instead of Django's ping on every checkout.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = dbpool.pool_options(
        min_size=1, max_size=DB_POOL_MAX_SIZE, timeout=env_float("DB_POOL_TIMEOUT_SECONDS", 10.0, minimum=0.1),
    )
# Every PostgreSQL connection (web and workers) gives up on a lock wait or a statement after
# these (issue 16): a blocked request answers 503 + Retry-After instead of parking a thread.
DB_LOCK_TIMEOUT_MS = env_int("DB_LOCK_TIMEOUT_MS", 3000, minimum=0)
DB_STATEMENT_TIMEOUT_MS = env_int("DB_STATEMENT_TIMEOUT_MS", 15000, minimum=0)
if DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql"):
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        f"-c lock_timeout={DB_LOCK_TIMEOUT_MS} -c statement_timeout={DB_STATEMENT_TIMEOUT_MS}")
# Requests of one agent in flight at once in one web process (0 = no cap); keep it well below
# DB_POOL_MAX_SIZE so one tenant can't hold every pooled connection.
AGENT_MAX_CONCURRENT_REQUESTS = env_int("AGENT_MAX_CONCURRENT_REQUESTS", 8, minimum=0)
if env_str("TEST_DB_NAME"):
    # Lets several test runs share one PostgreSQL server without dropping each other's database.
    DATABASES["default"]["TEST"] = {"NAME": env_str("TEST_DB_NAME")}
IS_POSTGRES = DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache, rate limits, Celery broker -----------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "")
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

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not REDIS_URL)
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

# --- Product settings ----------------------------------------------------------------------------
AGENT_SELF_MINT = env_bool("AGENT_SELF_MINT", DEBUG)
AGENT_STARTING_GRANT_MICROS = env_int("AGENT_STARTING_GRANT_MICROS", 200_000, minimum=0)  # $0.20
TICKET_PRICE_MICROS = env_int("TICKET_PRICE_MICROS", 10_000, minimum=1)  # $0.01
BUG_BOUNTY_MICROS = env_int("BUG_BOUNTY_MICROS", 1_000_000, minimum=1)  # $1.00
IDEMPOTENCY_TTL_SECONDS = env_int("IDEMPOTENCY_TTL_SECONDS", 24 * 3600, minimum=60)
# POST /api/v1/agents/topup accepts amounts in [min, max] (micro-USD).
TOPUP_MIN_MICROS = env_int("TOPUP_MIN_MICROS", 100_000, minimum=1)  # $0.10
TOPUP_MAX_MICROS = env_int("TOPUP_MAX_MICROS", 100_000_000, minimum=1)  # $100.00
if TOPUP_MAX_MICROS < TOPUP_MIN_MICROS:
    raise ImproperlyConfigured(f"TOPUP_MAX_MICROS={TOPUP_MAX_MICROS} is below TOPUP_MIN_MICROS={TOPUP_MIN_MICROS}.")

X402_FACILITATOR_URL = env_str("X402_FACILITATOR_URL", "http://127.0.0.1:8402")
X402_NETWORK = env_str("X402_NETWORK", "eip155:84532")
# Where x402 payments are paid. Locally a well-known test address; with DEBUG off there is no
# default — a production process must never take payments to someone else's address.
X402_PAY_TO = env_str("X402_PAY_TO", "0x209693Bc6afc0C5328bA36FaF03C514EF312287C" if DEBUG else "")
if not X402_PAY_TO:
    raise ImproperlyConfigured(
        "X402_PAY_TO is not set. With DEBUG off the process refuses to start without the address that "
        "receives x402 payments (0x + 40 hex characters; see .env.example)."
    )
if not re.fullmatch(r"0x[0-9a-fA-F]{40}", X402_PAY_TO):
    raise ImproperlyConfigured(f"X402_PAY_TO={X402_PAY_TO!r} is not an EVM address (0x + 40 hex characters).")
X402_MAX_TIMEOUT_SECONDS = env_int("X402_MAX_TIMEOUT_SECONDS", 300, minimum=1)
X402_FACILITATOR_TIMEOUT_SECONDS = env_float("X402_FACILITATOR_TIMEOUT_SECONDS", 10.0, minimum=0.1)

WEBHOOK_ALLOW_PRIVATE_TARGETS = env_bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", False)
WEBHOOK_TIMEOUT_SECONDS = env_float("WEBHOOK_TIMEOUT_SECONDS", 10.0, minimum=0.1)
WEBHOOK_MAX_ACTIVE_SUBSCRIPTIONS = env_int("WEBHOOK_MAX_ACTIVE_SUBSCRIPTIONS", 20, minimum=1)
WEBHOOK_DISABLE_AFTER_DEAD_DELIVERIES = env_int("WEBHOOK_DISABLE_AFTER_DEAD_DELIVERIES", 5, minimum=1)
# New outbox events are announced with NOTIFY "webhooks.outbox" (free at COMMIT) and handed to
# delivery by the relay (webhooks/relay.py), instead of a Celery publish inside the request. On by
# default with PostgreSQL and a real broker; off with eager tasks (the local default, the test suite),
# where the dispatch task runs right after commit. The sweeper is the safety net either way.
WEBHOOK_RELAY = env_bool(
    "WEBHOOK_RELAY",
    DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql") and not CELERY_TASK_ALWAYS_EAGER,
)
# The relay makes a new delivery's first attempt itself on this many threads (no Celery task per
# delivery: that hop cost more CPU than the attempt, bench/README.md); when they are all busy, or
# with 0, deliveries go to the Celery worker as `webhooks.deliver` tasks. Retries always do.
WEBHOOK_RELAY_DELIVERY_THREADS = env_int("WEBHOOK_RELAY_DELIVERY_THREADS", 4, minimum=0)
# Live streams (SPEC §10): a comment line this often keeps proxies from closing an idle stream.
LIVE_KEEPALIVE_SECONDS = env_float("LIVE_KEEPALIVE_SECONDS", 15.0, minimum=0.1)
# Live events older than this are purged (a stream can resume from up to this far back).
LIVE_RETENTION_HOURS = env_int("LIVE_RETENTION_HOURS", 24, minimum=1)

LLM_PROVIDER = env_choice("LLM_PROVIDER", "builtin", ("builtin", "openai"))
LLM_BASE_URL = env_str("LLM_BASE_URL", "")
LLM_API_KEY = env_str("LLM_API_KEY", "")
LLM_MODEL = env_str("LLM_MODEL", "")
LLM_TIMEOUT_SECONDS = env_float("LLM_TIMEOUT_SECONDS", 30.0, minimum=0.1)
LLM_MAX_TOOL_ROUNDS = env_int("LLM_MAX_TOOL_ROUNDS", 4, minimum=1)

# Requests per minute per token; 0 disables the limit (used by benchmarks).
RATE_LIMIT_PER_MINUTE = env_int("RATE_LIMIT_PER_MINUTE", 600, minimum=0)
RATE_LIMIT_ANON_PER_MINUTE = env_int("RATE_LIMIT_ANON_PER_MINUTE", 120, minimum=0)

API_MAX_BODY_BYTES = 64 * 1024
# A request body must arrive in full within this many seconds (support_project/bodylimit.py).
REQUEST_BODY_TIMEOUT_SECONDS = env_float("REQUEST_BODY_TIMEOUT_SECONDS", 10.0, minimum=0.1)
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES

# --- Attachments (SPEC §10) -----------------------------------------------------------------------
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024, minimum=1)  # per file
ATTACHMENT_MAX_TOTAL_BYTES = env_int("ATTACHMENT_MAX_TOTAL_BYTES", 50 * 1024 * 1024, minimum=1)  # per ticket
ATTACHMENT_MAX_PER_MESSAGE = env_int("ATTACHMENT_MAX_PER_MESSAGE", 10, minimum=1)
# MCP tool calls carry files as base64 inside a 256 KiB JSON body: each decoded file at most this.
ATTACHMENT_INLINE_MAX_BYTES = env_int("ATTACHMENT_INLINE_MAX_BYTES", 128 * 1024, minimum=1)
ATTACHMENT_UNATTACHED_TTL_SECONDS = env_int("ATTACHMENT_UNATTACHED_TTL_SECONDS", 24 * 3600, minimum=60)
# "filesystem" (a git-ignored folder under the project) or "s3" (django-storages, boto3).
ATTACHMENT_STORAGE = env_choice("ATTACHMENT_STORAGE", "filesystem", ("filesystem", "s3"))
ATTACHMENT_ROOT = Path(env_str("ATTACHMENT_ROOT", "") or BASE_DIR / "var" / "attachments")
if ATTACHMENT_STORAGE == "s3":
    if not env_str("ATTACHMENT_S3_BUCKET"):
        raise ImproperlyConfigured("ATTACHMENT_STORAGE=s3 needs ATTACHMENT_S3_BUCKET (see .env.example).")
    _attachment_storage: dict[str, Any] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("ATTACHMENT_S3_BUCKET"),
            "endpoint_url": env_str("ATTACHMENT_S3_ENDPOINT_URL") or None,
            "region_name": env_str("ATTACHMENT_S3_REGION") or None,
            # Empty: boto3's own credential chain (instance role, AWS_* variables).
            "access_key": env_str("ATTACHMENT_S3_ACCESS_KEY_ID") or None,
            "secret_key": env_str("ATTACHMENT_S3_SECRET_ACCESS_KEY") or None,
            "location": env_str("ATTACHMENT_S3_PREFIX", "attachments"),
            "addressing_style": env_str("ATTACHMENT_S3_ADDRESSING_STYLE") or None,
            "default_acl": None,  # private objects; bytes leave only through our download routes
            "file_overwrite": False,
        },
    }
else:
    _attachment_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(ATTACHMENT_ROOT), "base_url": None,
                    "file_permissions_mode": 0o600, "directory_permissions_mode": 0o700},
    }
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "attachments": _attachment_storage,
}

# --- DRF + OpenAPI ---------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.permissions.IsAgent"],
    "DEFAULT_PARSER_CLASSES": ["support_project.api.parsers.StrictJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_THROTTLE_CLASSES": [
        "support_project.api.throttling.TokenRateThrottle",
        "support_project.api.concurrency.AgentConcurrencyThrottle",
    ],
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
        "support_project.api.schema_exact.postprocess_exact",
    ],
}

# Sent on every response (support_project/edge.py). No 'unsafe-inline': templates carry no inline
# <script>, style="…" or on…= handlers; pages load JS and CSS from /static/ (STYLE.md, HELPERS.md).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

# --- Auth, sessions, static --------------------------------------------------------------------
LOGIN_URL = "/ui-traffic/login"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
# Every password sign-in (the inbox, the Django admin) goes through the guessing throttle.
AUTHENTICATION_BACKENDS = ["accounts.backends.ThrottledModelBackend"]
SIGNIN_MAX_FAILURES_PER_USER = env_int("SIGNIN_MAX_FAILURES_PER_USER", 5, minimum=0)
SIGNIN_MAX_FAILURES_PER_ADDRESS = env_int("SIGNIN_MAX_FAILURES_PER_ADDRESS", 20, minimum=0)
SIGNIN_LOCKOUT_SECONDS = env_int("SIGNIN_LOCKOUT_SECONDS", 900, minimum=1)
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

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["stderr"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}
