"""Which failures are transient: the database, Redis, the broker or a model endpoint being unreachable.

The API answers these with 503 and ``Retry-After`` (``salesagent/exceptions.py``); Celery tasks retry
on them (``autoretry_for=TRANSIENT_ERRORS``). Library wrappers keep the original as ``__cause__``,
so :func:`is_transient` looks down the chain.
"""

from __future__ import annotations

import django.db
import kombu.exceptions
import openai
import psycopg
import redis.exceptions

DATABASE_UNAVAILABLE: tuple[type[BaseException], ...] = (
    django.db.OperationalError,
    django.db.InterfaceError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
)

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    *DATABASE_UNAVAILABLE,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    kombu.exceptions.OperationalError,
    openai.APIConnectionError,  # includes APITimeoutError
    openai.RateLimitError,
    openai.InternalServerError,
    ConnectionError,
    TimeoutError,
)


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen and len(seen) < 10:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def is_database_unavailable(exc: BaseException) -> bool:
    """The database could not be reached or dropped the connection (not a bad query)."""
    return any(isinstance(item, DATABASE_UNAVAILABLE) for item in _chain(exc))


def is_transient(exc: BaseException) -> bool:
    """Worth retrying later: the failure is in reaching a service, not in the request."""
    return any(isinstance(item, TRANSIENT_ERRORS) for item in _chain(exc))
