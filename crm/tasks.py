"""Celery tasks for the CRM: thin wrappers that own retry policy only."""

from __future__ import annotations

from celery import shared_task

from apikeys.access import SYSTEM
from crm.client import CRMUnavailable, get_crm_client
from crm.proposal_apply import proposal_apply
from salesagent.faults import TRANSIENT_ERRORS


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(*TRANSIENT_ERRORS, CRMUnavailable),
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


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    # CRMUnavailable covers HubSpot's 429s and 5xx after the client's own bounded retries.
    autoretry_for=(*TRANSIENT_ERRORS, CRMUnavailable),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=5,
)
def apply_proposal_task(proposal_id: int) -> dict[str, object]:
    proposal = proposal_apply(access=SYSTEM, proposal_id=proposal_id)
    return {"proposal_id": proposal_id, "state": proposal.state}
