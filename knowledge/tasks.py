"""Celery tasks for the knowledge base: thin wrappers that own retry policy only."""

from __future__ import annotations

from contextlib import suppress
from time import perf_counter
from typing import Any

from celery import Task, shared_task

from knowledge.embeddings import EmbeddingUnavailable
from knowledge.indexing import document_mark_failed, reindex_document
from salesagent import metrics
from salesagent.faults import TRANSIENT_ERRORS

# The database, Redis or the embedding service being unreachable: retried with backoff. Other errors
# are recorded on the document by reindex_document itself.
RETRY_ON = (*TRANSIENT_ERRORS, EmbeddingUnavailable)


class ReindexTask(Task):
    def on_failure(self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        # Retries are exhausted (or the error was not transient): say so on the document.
        document_id = args[0] if args else kwargs.get("document_id")
        if document_id is not None:
            # If the database is still down, the document stays pending for reindex_knowledge.
            with suppress(*TRANSIENT_ERRORS):
                document_mark_failed(int(document_id), f"{type(exc).__name__}: {exc}")


@shared_task(
    bind=True,
    base=ReindexTask,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=RETRY_ON,
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=5,
)
def reindex_document_task(self: Task, document_id: int, force: bool = False) -> dict[str, object]:
    started = perf_counter()
    try:
        outcome = reindex_document(document_id, force=force)
    except Exception:
        metrics.record_reindex(outcome="error", seconds=perf_counter() - started)
        raise
    metrics.record_reindex(outcome=outcome.status, seconds=perf_counter() - started)
    return {"document_id": outcome.document_id, "status": outcome.status, "chunks": outcome.chunk_count}
