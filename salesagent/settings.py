"""Settings for the sales agent: one module, every deployment difference read from the environment."""

from __future__ import annotations

import logging
import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import environ

from salesagent.embedded_db import embedded_database_settings
from salesagent.logs import configure_structlog, logging_config

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
    if not DEBUG:
        # No public fallback: a process that signs sessions and CSRF tokens with a known key is open
        # to forgery. `make` writes a random development key to .env (see the Makefile).
        raise environ.ImproperlyConfigured(
            "SECRET_KEY (or SECRET_KEY_FILE) must be set unless DEBUG=true; "
            "for development, any `make` target writes a random one to .env"
        )
    SECRET_KEY = "dev-only-insecure-key-debug-mode-" + "x" * 20
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
# In Kubernetes the kubelet's probes and Prometheus address a pod by its IP (the Deployment sets POD_IP).
if env.str("POD_IP", default=""):
    ALLOWED_HOSTS.append(env.str("POD_IP"))
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
    "rest_framework_api_key",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_prometheus",
    "django_structlog",
    "axes",
    "apikeys",
    "crm",
    "knowledge",
    "conversations",
    "evaluation",
    "pricing",
    "company",
    "reviews",
    "home",
]

MIDDLEWARE = [
    # Outermost, so request metrics and the request id cover everything below.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    # Size, NUL-byte and database-outage guards for the API, before anything reads the body.
    "salesagent.middleware.ApiRequestGuardMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # After authentication, so request lines carry the user id.
    "salesagent.logs.RequestLogMiddleware",
    # After authentication, as django-axes requires: locks out admin logins after repeated failures.
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
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

# Database: DATABASE_URL when set (any Postgres 16+ with pgvector), else the embedded server. Settings
# only say where that server listens; whatever needs the database starts it (salesagent/embedded_db.py).
EMBEDDED_POSTGRES_DIR = Path(env.str("EMBEDDED_POSTGRES_DIR", default=str(BASE_DIR / "var" / "pgdata")))
EMBEDDED_POSTGRES: dict[str, Any] | None = None
if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
else:
    EMBEDDED_POSTGRES = {
        "DIR": EMBEDDED_POSTGRES_DIR,
        "NAME": env.str("EMBEDDED_POSTGRES_DB", default="salesagent"),
    }
    DATABASES = {
        "default": embedded_database_settings(EMBEDDED_POSTGRES["DIR"], name=EMBEDDED_POSTGRES["NAME"])
    }
# django-prometheus's wrapper of the same backend counts queries, errors and their durations.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["ENGINE"] = "django_prometheus.db.backends.postgresql"
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
        "apikeys.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Every view names the scope each action needs (apikeys/permissions.py); unlisted actions are denied.
    "DEFAULT_PERMISSION_CLASSES": ["apikeys.permissions.HasScope"],
    "DEFAULT_THROTTLE_CLASSES": ["apikeys.throttling.KeyScopeThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "turns": env.str("THROTTLE_TURNS", default="120/min"),
        "read": env.str("THROTTLE_READS", default="600/min"),
        "write": env.str("THROTTLE_WRITES", default="120/min"),
    },
    # JSON only: form and multipart bodies get 415 rather than silently losing nested fields.
    "DEFAULT_PARSER_CLASSES": ["salesagent.parsers.StrictJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_METADATA_CLASS": None,
    "EXCEPTION_HANDLER": "salesagent.exceptions.api_exception_handler",
    "DEFAULT_PAGINATION_CLASS": "salesagent.api_fields.StrictPageNumberPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_FILTER_BACKENDS": [
        "salesagent.api_fields.StrictFilterBackend",
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
    "COMPONENT_SPLIT_REQUEST": True,
    # Several resources have a "state": each choice set gets its own stable enum name in the schema.
    "ENUM_NAME_OVERRIDES": {
        "DraftStateEnum": "reviews.selectors.DraftState.CHOICES",
        "ReviewDecisionStateEnum": "reviews.models.ReviewDecision.State",
        "DeliveryStateEnum": "reviews.models.Delivery.State",
        "ProposalStateEnum": "crm.models.Proposal.State",
    },
    # Every operation declares the error statuses it can answer (401, 403, 413, 429, 503, ...).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "salesagent.schema.declare_error_responses",
    ],
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
# Periodic work (a worker started with -B, or `celery beat`): answer orphaned turns, expire idempotency keys.
CELERY_BEAT_SCHEDULE = {
    "sweep-turn-requests": {
        "task": "conversations.tasks.sweep_turn_requests_task",
        "schedule": env.float("ORPHAN_SWEEP_INTERVAL_SECONDS", default=60.0),
    }
}
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
# Threads ONNX Runtime uses for one local embedding. A turn embeds a few short texts, where a second
# thread barely helps and, while other processes keep every core busy, waiting threads cost more than
# they give: processes scale out, embeddings stay single-threaded. 0: one thread per core.
EMBEDDING_THREADS = env.int("EMBEDDING_THREADS", default=1)
# Folds of the cross-validation that calibrates the reader (its temperature and per-head thresholds)
# and measures it. Five by default; fewer trains faster and calibrates on smaller out-of-fold
# samples (`make test` trains with 3, the learning curve with 3).
READER_CV_FOLDS = env.int("READER_CV_FOLDS", default=5)
# Where the local model's ONNX export lives (knowledge/local_embedding.py); `make install` and the
# Docker build write it, a process that finds none writes it once.
EMBEDDING_MODEL_DIR = Path(env.str("EMBEDDING_MODEL_DIR", default=str(BASE_DIR / "var" / "models")))
# Threads of numpy's OpenBLAS (read when numpy loads, hence set here, before any app imports it). The
# intent classifier multiplies small matrices, where a helper thread only spins between calls: it
# took a whole second core on a 2-core machine and throughput fell from 39.5 to 27 turns/s (README).
# An OPENBLAS_NUM_THREADS set in the environment wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
# Turns whose confidence falls below this are flagged for a person to review; chosen on our own
# datasets (dev + challenge) as the best F1 of "flagged" vs "intent or action wrong" (README).
HUMAN_REVIEW_CONFIDENCE_THRESHOLD = env.float("HUMAN_REVIEW_CONFIDENCE_THRESHOLD", default=0.65)
# Reviewing drafts (README, "Reviewing drafts"). An approved reply goes to the client's webhook: a
# WebhookEndpoint row, else this URL; with neither it is recorded with the delivery marked "no channel".
OUTBOUND_WEBHOOK_URL = env.str("OUTBOUND_WEBHOOK_URL", default="")
OUTBOUND_WEBHOOK_SECRET = _secret("OUTBOUND_WEBHOOK_SECRET", default="")
OUTBOUND_WEBHOOK_TIMEOUT_SECONDS = env.float("OUTBOUND_WEBHOOK_TIMEOUT_SECONDS", default=10.0)
# Tries per delivery (the first and its retries), OUTBOUND_WEBHOOK_BACKOFF_SECONDS apart, doubling
# per retry up to 10 minutes.
OUTBOUND_WEBHOOK_MAX_ATTEMPTS = env.int("OUTBOUND_WEBHOOK_MAX_ATTEMPTS", default=8)
OUTBOUND_WEBHOOK_BACKOFF_SECONDS = env.float("OUTBOUND_WEBHOOK_BACKOFF_SECONDS", default=5.0)
# A sent reply whose normalised edit distance from the draft is at most this counts as a small edit.
REVIEW_SMALL_EDIT_RATIO = env.float("REVIEW_SMALL_EDIT_RATIO", default=0.2)
# Longest prospect message the turn API accepts, in characters.
MAX_MESSAGE_CHARS = env.int("MAX_MESSAGE_CHARS", default=4000)
# History a client may send with a new conversation; also the most recent stored messages a continued
# conversation's turn reads as context.
MAX_HISTORY_MESSAGES = env.int("MAX_HISTORY_MESSAGES", default=50)
# A stored conversation takes at most this many messages (turns and recorded replies); then start anew.
MAX_CONVERSATION_MESSAGES = env.int("MAX_CONVERSATION_MESSAGES", default=200)
# Message timestamps may be at most this far in the future (clients' clocks drift).
MAX_CLOCK_SKEW_SECONDS = env.int("MAX_CLOCK_SKEW_SECONDS", default=300)
# API request bodies: larger ones get 413; JSON nested deeper gets 400.
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=2 * 1024 * 1024)
API_MAX_JSON_DEPTH = env.int("API_MAX_JSON_DEPTH", default=32)
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES
# Conversation detail pages: at most this many of the latest messages and turns inline.
CONVERSATION_DETAIL_MESSAGES = env.int("CONVERSATION_DETAIL_MESSAGES", default=50)
# Clients are told to retry after this many seconds when the database is unavailable (503).
DATABASE_RETRY_AFTER_SECONDS = env.int("DATABASE_RETRY_AFTER_SECONDS", default=5)
# Turns whose answer failed are answered by a sweep once they are this old (the client did not retry);
# answered idempotency keys are kept this long for replays.
ORPHAN_SWEEP_AFTER_SECONDS = env.int("ORPHAN_SWEEP_AFTER_SECONDS", default=120)
IDEMPOTENCY_KEY_TTL_HOURS = env.int("IDEMPOTENCY_KEY_TTL_HOURS", default=24)
# Load the embedding model and the intent index when a web or worker process starts (salesagent/warmup.py).
WARM_UP = env.bool("WARM_UP", default=True)
KNOWLEDGE_SEARCH_K = env.int("KNOWLEDGE_SEARCH_K", default=4)
KNOWLEDGE_SEARCH_MODE = env.str("KNOWLEDGE_SEARCH_MODE", default="hybrid")  # hybrid | vector | text
# Sections are short, so one document often holds several of the chunks a turn needs.
KNOWLEDGE_MAX_PER_DOCUMENT = env.int("KNOWLEDGE_MAX_PER_DOCUMENT", default=3)
CRM_BACKEND = env.str("CRM_BACKEND", default="local")
CRM_CACHE_SECONDS = env.int("CRM_CACHE_SECONDS", default=60)
# HubSpot (CRM_BACKEND=hubspot): a private app's access token with the contacts read/write scopes.
# Our prospect id is stored in the custom contact property HUBSPOT_ID_PROPERTY (create it in HubSpot).
HUBSPOT_ACCESS_TOKEN = _secret("HUBSPOT_ACCESS_TOKEN", default="")
HUBSPOT_BASE_URL = env.str("HUBSPOT_BASE_URL", default="https://api.hubapi.com")
HUBSPOT_ID_PROPERTY = env.str("HUBSPOT_ID_PROPERTY", default="salesagent_prospect_id")
HUBSPOT_TIMEOUT_SECONDS = env.float("HUBSPOT_TIMEOUT_SECONDS", default=10.0)
# Retries after a 429 (waiting Retry-After), a 5xx or a timeout; backoff doubles from HUBSPOT_BACKOFF_SECONDS.
HUBSPOT_MAX_RETRIES = env.int("HUBSPOT_MAX_RETRIES", default=3)
HUBSPOT_BACKOFF_SECONDS = env.float("HUBSPOT_BACKOFF_SECONDS", default=1.0)
# Proposed CRM changes (crm.Proposal) of these action types are approved by the system and applied
# at once, e.g. CRM_AUTO_APPLY_ACTIONS=UPDATE_CRM,SCHEDULE_FOLLOW_UP. Empty: a person decides each.
CRM_AUTO_APPLY_ACTIONS = env.list("CRM_AUTO_APPLY_ACTIONS", default=[])
# A proposed follow-up task is due this many days after the turn.
CRM_FOLLOW_UP_DAYS = env.int("CRM_FOLLOW_UP_DAYS", default=2)

# Metrics (/metrics, Prometheus text format). Allowed: a request bearing METRICS_TOKEN, or one from
# METRICS_ALLOWED_NETWORKS that did not come through a proxy (no X-Forwarded-For). In Kubernetes,
# Prometheus scrapes the pod IP, so set the pod network's CIDR (or a token in the scrape config).
METRICS_TOKEN = _secret("METRICS_TOKEN", default="")
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=["127.0.0.0/8", "::1/128"])
# The Celery worker serves its own /metrics on this port (0: off); same access rules.
WORKER_METRICS_PORT = env.int("WORKER_METRICS_PORT", default=0)
# django-prometheus's request latency buckets: API requests take milliseconds, model turns seconds.
PROMETHEUS_LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, float("inf"))

# Logs: JSON lines for machines, readable lines for people (by default when DEBUG or when a person is at
# the terminal; LOG_FORMAT=json|console decides), with a request id per request carried into the
# Celery tasks it enqueues. TRUST_REQUEST_ID_HEADER: reuse an X-Request-ID set by our own proxy.
configure_structlog()
LOG_FORMAT = env.str("LOG_FORMAT", default="console" if DEBUG or sys.stderr.isatty() else "json")
LOGGING = logging_config(level=env.str("LOG_LEVEL", default="INFO"), fmt=LOG_FORMAT)
DJANGO_STRUCTLOG_CELERY_ENABLED = True
DJANGO_STRUCTLOG_STATUS_START_LOG_LEVEL = logging.DEBUG
DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID = env.bool("TRUST_REQUEST_ID_HEADER", default=False)

# Security. HTTPS-only settings are on unless DEBUG; SECURE_HTTPS=false serves plain HTTP (a laptop,
# or docker compose without a TLS proxy). Behind a proxy that terminates TLS, TRUST_X_FORWARDED_PROTO
# makes Django trust its X-Forwarded-Proto header.
SECURE_HTTPS = env.bool("SECURE_HTTPS", default=not DEBUG)
SECURE_SSL_REDIRECT = SECURE_HTTPS
# Probes and Prometheus's scrapes come over plain HTTP from inside the cluster or compose network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
if env.bool("TRUST_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = SECURE_HTTPS
CSRF_COOKIE_SECURE = SECURE_HTTPS
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000 if SECURE_HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=SECURE_HTTPS)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=SECURE_HTTPS)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content Security Policy for our own pages (admin, playground, evaluation reports, API docs): scripts
# only from our origin; inline styles stay allowed because the admin's templates use style attributes.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
# Admin logins: AXES_FAILURE_LIMIT wrong passwords lock that username and that address out for
# AXES_COOLOFF_MINUTES (a correct password does not get in meanwhile).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = None
if env.bool("TRUST_X_FORWARDED_PROTO", default=False):
    # Behind one proxy, the client's address is the last one it appended.
    AXES_IPWARE_PROXY_COUNT = 1
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
