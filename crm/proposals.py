"""The proposal workflow: proposals created with a turn, approved or rejected by a person, applied.

States: ``pending`` → ``approved`` → ``applied`` | ``failed`` (retried), or ``pending`` → ``rejected``.
Proposals are created in the transaction that stores the turn (``conversations.services._store``).
Approving queues the application (a Celery task, after commit); action types listed in
``CRM_AUTO_APPLY_ACTIONS`` are approved by the system at once. Deciding needs ``reviews:write``.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apikeys.access import SYSTEM, Access, Scope
from crm.models import Proposal, ProposalAuditEntry
from crm.proposal_apply import ProposalNotApproved, proposal_apply
from crm.proposal_content import TurnFacts, build_proposals
from crm.tasks import apply_proposal_task
from salesagent.errors import DomainError

__all__ = [
    "ProposalAlreadyDecided",
    "ProposalNotApproved",
    "proposal_apply",
    "proposal_apply_on_commit",
    "proposal_approve",
    "proposal_reject",
    "proposals_create_for_turn",
]

logger = logging.getLogger(__name__)


class ProposalAlreadyDecided(DomainError, ValueError):
    """The proposal was approved or rejected already; a decision is made once."""

    status_code = 409
    code = "proposal_already_decided"

    def __init__(self, proposal: Proposal) -> None:
        super().__init__(f"Proposal {proposal.pk} is already {proposal.state}.")
        self.proposal_id = proposal.pk
        self.state = proposal.state

    def extra(self) -> dict[str, str]:
        return {"state": self.state}


def _enqueue_apply(proposal_id: int) -> None:
    try:
        apply_proposal_task.delay(proposal_id)
    except Exception:
        # The decision is committed; the proposal stays approved and can be applied again from the admin.
        logger.exception("could not apply proposal %s", proposal_id)


def proposal_apply_on_commit(proposal_id: int) -> None:
    """Apply a proposal by a retried Celery task once the current transaction commits."""
    transaction.on_commit(lambda: _enqueue_apply(proposal_id), robust=True)


def _decide(proposal: Proposal, access: Access, state: str, event: str, detail: str = "") -> None:
    proposal.state = state
    proposal.decided_by_id = access.user_id
    proposal.decided_by_label = access.label or "system"
    proposal.decided_at = timezone.now()
    proposal.save(
        update_fields=["state", "decided_by", "decided_by_label", "decided_at", "reject_reason", "updated_at"]
    )
    ProposalAuditEntry.objects.create(
        proposal=proposal,
        event=event,
        actor=proposal.decided_by_label,
        actor_user_id=access.user_id,
        detail=detail,
    )


def proposals_create_for_turn(
    *,
    conversation_id: int,
    analysis_id: int,
    prospect_id: str,
    message: str,
    earlier_prospect_messages: list[str],
    intent: str,
    key_points: list[str],
    next_steps: list[dict[str, Any]],
    crm_snapshot: dict[str, Any] | None,
    at: datetime,
) -> list[Proposal]:
    """Store a proposal for each CRM-changing next step of a turn being stored (one query, none if none)."""
    facts = TurnFacts(
        conversation_id=conversation_id,
        prospect_id=prospect_id,
        message=message,
        earlier_prospect_messages=earlier_prospect_messages,
        intent=intent,
        key_points=key_points,
        next_steps=next_steps,
        crm_snapshot=crm_snapshot,
        at=at,
    )
    specs = build_proposals(facts)
    if not specs:
        return []
    proposals = Proposal.objects.bulk_create(
        Proposal(
            conversation_id=conversation_id,
            analysis_id=analysis_id,
            action=spec.action,
            prospect_id=spec.prospect_id,
            content=spec.content,
            reason=spec.reason,
        )
        for spec in specs
    )
    for proposal in proposals:
        if proposal.action in settings.CRM_AUTO_APPLY_ACTIONS:
            _decide(
                proposal, SYSTEM, Proposal.State.APPROVED, ProposalAuditEntry.Event.APPROVED, "auto-apply"
            )
            proposal_apply_on_commit(proposal.pk)
    return proposals


@transaction.atomic
def proposal_approve(*, access: Access, proposal: Proposal) -> Proposal:
    """Approve a pending proposal; it is applied to the CRM by a Celery task after commit."""
    access.require(Scope.REVIEWS_WRITE)
    locked = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if locked.decided:
        raise ProposalAlreadyDecided(locked)
    _decide(locked, access, Proposal.State.APPROVED, ProposalAuditEntry.Event.APPROVED)
    proposal_apply_on_commit(locked.pk)
    return locked


@transaction.atomic
def proposal_reject(*, access: Access, proposal: Proposal, reason: str) -> Proposal:
    """Reject a pending proposal with a reason; nothing is written to the CRM."""
    access.require(Scope.REVIEWS_WRITE)
    reason = reason.strip()
    if not reason:
        raise ValueError("A rejection needs a reason.")
    locked = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if locked.decided:
        raise ProposalAlreadyDecided(locked)
    locked.reject_reason = reason
    _decide(locked, access, Proposal.State.REJECTED, ProposalAuditEntry.Event.REJECTED, reason)
    return locked
