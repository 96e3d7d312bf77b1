"""Transient failures are recognised by their real classes, wrapped or not, and tasks retry on them."""

from __future__ import annotations

import httpx2
import kombu.exceptions
import openai
import psycopg
import pytest
import redis
from django.db import IntegrityError, OperationalError

from conversations.tasks import sweep_turn_requests_task
from crm.tasks import log_interaction_task
from knowledge.embeddings import EmbeddingUnavailable
from knowledge.tasks import reindex_document_task
from salesagent.faults import is_database_unavailable, is_transient

REQUEST = httpx2.Request("POST", "http://127.0.0.1/v1/embeddings")


def _wrapped(outer: Exception, inner: Exception) -> Exception:
    try:
        try:
            raise inner
        except Exception as exc:
            raise outer from exc
    except Exception as caught:
        return caught


TRANSIENT = [
    psycopg.OperationalError("connection refused"),
    OperationalError("server closed the connection unexpectedly"),
    redis.ConnectionError("Error 111 connecting to 127.0.0.1:6379"),
    redis.TimeoutError("timed out"),
    kombu.exceptions.OperationalError("broker down"),
    openai.APIConnectionError(request=REQUEST),
    openai.APITimeoutError(request=REQUEST),
    _wrapped(RuntimeError("wrapped"), psycopg.OperationalError("down")),
]


@pytest.mark.parametrize("exc", TRANSIENT, ids=lambda exc: type(exc).__name__)
def test_real_connection_errors_are_transient(exc):
    assert is_transient(exc)


@pytest.mark.parametrize("exc", [ValueError("bad"), IntegrityError("duplicate key"), KeyError("x")])
def test_bugs_and_bad_data_are_not(exc):
    assert not is_transient(exc)
    assert not is_database_unavailable(exc)


@pytest.mark.parametrize("task", [reindex_document_task, log_interaction_task, sweep_turn_requests_task])
@pytest.mark.parametrize("exc", TRANSIENT[:7], ids=lambda exc: type(exc).__name__)
def test_tasks_retry_on_the_real_transient_classes(task, exc):
    assert isinstance(exc, task.autoretry_for)


def test_the_reindex_task_also_retries_when_embeddings_are_unavailable():
    assert isinstance(EmbeddingUnavailable("503"), reindex_document_task.autoretry_for)
    assert not isinstance(ValueError("bad markdown"), reindex_document_task.autoretry_for)
