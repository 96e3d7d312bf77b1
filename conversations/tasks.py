"""Celery tasks for conversations: thin wrappers that own retry policy only."""

from __future__ import annotations

from celery import shared_task

from conversations.idempotency import turn_requests_sweep
from salesagent.faults import TRANSIENT_ERRORS


@shared_task(autoretry_for=TRANSIENT_ERRORS, retry_backoff=True, retry_backoff_max=60, max_retries=3)
def sweep_turn_requests_task() -> dict[str, object]:
    """Answer turns whose request failed and was never retried; expire old idempotency keys."""
    report = turn_requests_sweep()
    return {
        "answered": report.answered,
        "failed": report.failed,
        "freed": report.freed,
        "expired": report.expired,
    }


@shared_task(autoretry_for=TRANSIENT_ERRORS, retry_backoff=True, retry_backoff_max=60, max_retries=3)
def train_reader_task(force: bool = False) -> dict[str, object]:
    """Retrain the message reader after its training data changed (a no-op when nothing did)."""
    from conversations.reader.services import reader_train

    outcome = reader_train(force=force)
    if outcome is None:
        return {"trained": False, "version": None}
    return {"trained": outcome.trained, "version": outcome.reader.version}
