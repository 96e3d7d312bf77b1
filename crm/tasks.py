"""Celery tasks for the CRM: thin wrappers that own retry policy only."""

from __future__ import annotations

from celery import shared_task

from crm.client import get_crm_client
from salesagent.faults import TRANSIENT_ERRORS


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    retry_backoff_max=120,
    max_retries=8,
)
def log_interaction_task(
    external_id: str, kind: str, summary: str, conversation_id: int | None = None
) -> dict[str, object]:
    get_crm_client().log_interaction(
        external_id=external_id, kind=kind, summary=summary, conversation_id=conversation_id
    )
    return {"external_id": external_id, "kind": kind}
