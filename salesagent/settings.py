"""Settings for the sales agent: one module, every deployment difference read from the environment."""

from __future__ import annotations

from pathlib import Path

import environ

from salesagent.embedded_db import embedded_database_settings

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def _secret(name: str, default: str = "") -> str:
    """Read a secret from NAME or from the file named by NAME_FILE (Docker/Kubernetes secrets)."""
    file_path = env.str(f"{name}_FILE", default="")
    if file_path:
        return Path(file_path).read_text().strip()
    return env.str(name, default=default)


DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = _secret("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG and env.bool("REQUIRE_SECRET_KEY", default=False):
        raise environ.ImproperlyConfigured("SECRET_KEY must be set in production")
    # Development-only fallback; production deployments set SECRET_KEY (docker-compose requires it).
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"
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
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "crm",
    "knowledge",
    "conversations",
    "evaluation",
    "pricing",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "salesagent.urls"

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

WSGI_APPLICATION = "salesagent.wsgi.application"

# Database: DATABASE_URL when set (any Postgres 16+ with pgvector), else the embedded server.
EMBEDDED_POSTGRES_DIR = Path(env.str("EMBEDDED_POSTGRES_DIR", default=str(BASE_DIR / "var" / "pgdata")))
if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
else:
    DATABASES = {
        "default": embedded_database_settings(
            EMBEDDED_POSTGRES_DIR, name=env.str("EMBEDDED_POSTGRES_DB", default="salesagent")
        )
    }
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: CACHE_URL or REDIS_URL when set, else per-process memory.
_cache_url = env.str("CACHE_URL", default="") or env.str("REDIS_URL", default="")
CACHES = {
    "default": env.cache_url_config(_cache_url)
    if _cache_url
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "salesagent"}
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Sales agent API",
    "DESCRIPTION": "Turns prospect messages into grounded reply drafts and next steps.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Celery: with no broker configured, tasks run inline in the calling process.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Redis redelivers a task whose worker died without acking it once this many seconds have passed;
# it must exceed the longest task (a whole-document reindex takes seconds).
# Workers sweep for such tasks every CELERY_RESTORE_INTERVAL seconds (one cheap Redis query each).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=600),
    "unacked_restore_interval": env.int("CELERY_RESTORE_INTERVAL", default=10),
    "unacked_restore_throttle": 1,
}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]

# The agent.
OPENAI_API_KEY = _secret("OPENAI_API_KEY", default="") or _secret("OPEN_AI_KEY", default="")
OPENAI_BASE_URL = env.str("OPENAI_BASE_URL", default="") or None
OPENAI_MODEL = env.str("OPENAI_MODEL", default="gpt-4o-mini")
AGENT_BRAIN = env.str("AGENT_BRAIN", default="auto")  # auto | local | openai
# The SDK's defaults (600 s, 2 retries) would let a dead provider hold a turn for minutes. All model
# calls of a turn (tool rounds, repairs) share one budget: (OPENAI_MAX_RETRIES + 1) x
# OPENAI_TIMEOUT_SECONDS + OPENAI_MAX_RETRIES x 4 s of backoff = 44 s with these defaults.
OPENAI_TIMEOUT_SECONDS = env.float("OPENAI_TIMEOUT_SECONDS", default=20.0)
OPENAI_MAX_RETRIES = env.int("OPENAI_MAX_RETRIES", default=1)
OPENAI_MAX_TOOL_ROUNDS = env.int("OPENAI_MAX_TOOL_ROUNDS", default=3)
# Bounded generation: every request carries a token limit (a small model under a JSON grammar can
# otherwise fill a list until the timeout). Sent as max_tokens, or max_completion_tokens to OpenAI
# itself (OPENAI_TOKEN_LIMIT_PARAM=auto|max_tokens|max_completion_tokens).
OPENAI_MAX_TOKENS = env.int("OPENAI_MAX_TOKENS", default=600)
OPENAI_TOKEN_LIMIT_PARAM = env.str("OPENAI_TOKEN_LIMIT_PARAM", default="auto")
# Unset: the server's own default is used (some OpenAI models accept only their default temperature).
OPENAI_TEMPERATURE = env.float("OPENAI_TEMPERATURE", default=None)
OPENAI_SEED = env.int("OPENAI_SEED", default=None)
# What the server is asked for: auto (json_schema, downgraded to json_object then prompt-only when the
# server rejects response_format), json_schema, json_object or prompt; tools auto|on|off likewise.
OPENAI_STRUCTURED_OUTPUT = env.str("OPENAI_STRUCTURED_OUTPUT", default="auto")
OPENAI_TOOLS = env.str("OPENAI_TOOLS", default="auto")
# USD per million tokens, for the cost estimate stored with each analysis (gpt-4o-mini list prices).
OPENAI_INPUT_PRICE_PER_MTOK = env.float("OPENAI_INPUT_PRICE_PER_MTOK", default=0.15)
OPENAI_OUTPUT_PRICE_PER_MTOK = env.float("OPENAI_OUTPUT_PRICE_PER_MTOK", default=0.60)
# Circuit breaker: after this many consecutive model failures, skip the model for the cool-down.
MODEL_BREAKER_FAILURES = env.int("MODEL_BREAKER_FAILURES", default=3)
MODEL_BREAKER_COOLDOWN_SECONDS = env.int("MODEL_BREAKER_COOLDOWN_SECONDS", default=60)
EMBEDDING_BACKEND = env.str("EMBEDDING_BACKEND", default="local")  # local | openai
OPENAI_EMBEDDING_MODEL = env.str("OPENAI_EMBEDDING_MODEL", default="text-embedding-3-small")
EMBEDDING_DIMENSIONS = 384
# Turns whose confidence falls below this are flagged for a person to review; chosen on our own
# datasets (dev + challenge) as the best F1 of "flagged" vs "intent or action wrong" (README).
HUMAN_REVIEW_CONFIDENCE_THRESHOLD = env.float("HUMAN_REVIEW_CONFIDENCE_THRESHOLD", default=0.65)
# Longest prospect message the turn API accepts, in characters.
MAX_MESSAGE_CHARS = env.int("MAX_MESSAGE_CHARS", default=4000)
MAX_HISTORY_MESSAGES = env.int("MAX_HISTORY_MESSAGES", default=50)
KNOWLEDGE_SEARCH_K = env.int("KNOWLEDGE_SEARCH_K", default=4)
KNOWLEDGE_SEARCH_MODE = env.str("KNOWLEDGE_SEARCH_MODE", default="hybrid")  # hybrid | vector | text
# Sections are short, so one document often holds several of the chunks a turn needs.
KNOWLEDGE_MAX_PER_DOCUMENT = env.int("KNOWLEDGE_MAX_PER_DOCUMENT", default=3)
CRM_BACKEND = env.str("CRM_BACKEND", default="local")
CRM_CACHE_SECONDS = env.int("CRM_CACHE_SECONDS", default=60)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"embedded_postgres": {"level": "WARNING"}},
}
