"""Reindexing when embeddings fail: transient failures are retried (the document stays pending),
others are recorded as failed at once, and a task whose retries ran out marks the document failed."""

from __future__ import annotations

import pytest

from knowledge import indexing
from knowledge.embeddings import EmbeddingError, EmbeddingUnavailable
from knowledge.models import Document
from knowledge.tasks import reindex_document_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending_document() -> Document:
    return Document.objects.create(
        slug="zz-retry", title="Retry", body="# Retry\n\nText.", index_status=Document.IndexStatus.PENDING
    )


def _embed_failing_with(exc: Exception):
    def embed(texts):
        raise exc

    return embed


def test_an_unavailable_embedding_service_is_retried_and_the_document_stays_pending(
    pending_document, monkeypatch
):
    monkeypatch.setattr(
        indexing, "embed_texts", _embed_failing_with(EmbeddingUnavailable("503 from upstream"))
    )

    with pytest.raises(EmbeddingUnavailable):
        indexing.reindex_document(pending_document.pk)

    pending_document.refresh_from_db()
    assert pending_document.index_status == Document.IndexStatus.PENDING
    assert pending_document.index_error.startswith("retrying:")


def test_a_permanent_embedding_failure_is_recorded_at_once(pending_document, monkeypatch):
    monkeypatch.setattr(indexing, "embed_texts", _embed_failing_with(EmbeddingError("400 invalid input")))

    outcome = indexing.reindex_document(pending_document.pk)

    pending_document.refresh_from_db()
    assert outcome.status == "failed"
    assert pending_document.index_status == Document.IndexStatus.FAILED


def test_a_task_whose_retries_ran_out_marks_the_document_failed(pending_document):
    reindex_document_task.on_failure(
        EmbeddingUnavailable("still down"), "task-id", (pending_document.pk,), {}, None
    )

    pending_document.refresh_from_db()
    assert pending_document.index_status == Document.IndexStatus.FAILED
    assert "still down" in pending_document.index_error
