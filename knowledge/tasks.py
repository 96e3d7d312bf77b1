"""Celery tasks for the knowledge base: thin wrappers that own retry policy only."""

from __future__ import annotations

from time import perf_counter

from celery import shared_task

from knowledge.indexing import reindex_document
from salesagent import metrics


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
    started = perf_counter()
    try:
        outcome = reindex_document(document_id, force=force)
    except Exception:
        metrics.record_reindex(outcome="error", seconds=perf_counter() - started)
        raise
    metrics.record_reindex(outcome=outcome.status, seconds=perf_counter() - started)
    return {"document_id": outcome.document_id, "status": outcome.status, "chunks": outcome.chunk_count}
