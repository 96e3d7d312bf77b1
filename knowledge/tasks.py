"""Celery tasks for the knowledge base: thin wrappers that own retry policy only."""

from __future__ import annotations

from celery import shared_task

from knowledge.indexing import reindex_document


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(ConnectionError, TimeoutError),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=5,
)
def reindex_document_task(self, document_id: int, force: bool = False) -> dict[str, object]:
    outcome = reindex_document(document_id, force=force)
    return {"document_id": outcome.document_id, "status": outcome.status, "chunks": outcome.chunk_count}
