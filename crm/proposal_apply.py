"""Applying an approved proposal to the CRM backend, once, with an audit entry of what changed.

The proposal row is locked for the whole application, so two workers (a retry and an admin's "apply
now") cannot both write; an applied proposal is skipped. Every note, task or contact applying
creates has its id stored on the proposal as soon as it exists, so a retry after a partial failure
continues where it stopped instead of creating a second one. A failure marks the proposal failed
with the error and re-raises, so the Celery task retries the transient ones.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from apikeys.access import Access, Scope
from crm.client import Contact, ContactNotFound, CRMClient, CRMError, get_crm_client
from crm.models import Proposal, ProposalAuditEntry
from salesagent.errors import DomainError

logger = logging.getLogger(__name__)
ERROR_CHARS = 2000


class ProposalNotApproved(DomainError, ValueError):
    """Only approved (or failed, to retry) proposals are applied."""

    status_code = 409
    code = "proposal_not_approved"

    def __init__(self, proposal: Proposal) -> None:
        super().__init__(f"Proposal {proposal.pk} is {proposal.state}; only approved proposals are applied.")
        self.state = proposal.state

    def extra(self) -> dict[str, str]:
        return {"state": self.state}


@dataclass
class Progress:
    """What applying has written so far: created ids, and the audit's before and after."""

    remote_ids: dict[str, Any]
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)


def _contact(client: CRMClient, proposal: Proposal, progress: Progress, email: str = "") -> Contact | None:
    remote_id = progress.remote_ids.get("contact")
    if remote_id:
        return client.read_contact(str(remote_id))
    contact = client.find_contact(prospect_id=proposal.prospect_id, email=email)
    if contact is not None:
        progress.remote_ids["contact"] = contact.remote_id
    return contact


def _existing_contact(client: CRMClient, proposal: Proposal, progress: Progress) -> Contact:
    contact = _contact(client, proposal, progress)
    if contact is None:
        raise ContactNotFound(
            f"The CRM has no contact {proposal.prospect_id!r}; apply the turn's CREATE_LEAD proposal first."
        )
    return contact


def _note(client: CRMClient, proposal: Proposal, progress: Progress, contact: Contact) -> None:
    note = proposal.content.get("note")
    if note and "note" not in progress.remote_ids:
        progress.remote_ids["note"] = client.add_note(
            contact.remote_id, body=note, conversation_id=proposal.conversation_id
        )
        progress.after["note"] = note


def _create_lead(client: CRMClient, proposal: Proposal, progress: Progress) -> None:
    fields = dict(proposal.content.get("fields") or {})
    contact = _contact(client, proposal, progress, email=fields.get("email", ""))
    if contact is None:
        contact = client.create_contact(prospect_id=proposal.prospect_id, fields=fields)
        progress.remote_ids.update(contact=contact.remote_id, contact_created=True)
        progress.after.update(fields)
    elif progress.remote_ids.get("contact_created"):
        progress.after.update(fields)  # an earlier attempt created it; this one finishes the job
    else:
        # Someone created the contact already: nothing stored there is overwritten.
        progress.before.update(contact.fields())
        progress.after["existing_contact"] = contact.remote_id
    _note(client, proposal, progress, contact)


def _update_fields(client: CRMClient, proposal: Proposal, progress: Progress) -> None:
    fields = dict(proposal.content.get("fields") or {})
    contact = _existing_contact(client, proposal, progress)
    current = contact.fields()
    changes = {name: value for name, value in fields.items() if current.get(name) != value}
    progress.before.update({name: current.get(name) for name in fields})
    if changes:
        contact = client.update_contact(contact.remote_id, changes)
    progress.after.update({name: contact.fields().get(name) for name in fields})
    _note(client, proposal, progress, contact)


def _follow_up(client: CRMClient, proposal: Proposal, progress: Progress) -> None:
    contact = _existing_contact(client, proposal, progress)
    content = proposal.content
    if "task" not in progress.remote_ids:
        progress.remote_ids["task"] = client.create_task(
            contact.remote_id,
            title=content["title"],
            body=content.get("body", ""),
            due_at=datetime.fromisoformat(content["due_at"]),
        )
    progress.after.update(task=content["title"], due_at=content["due_at"])


APPLIERS = {
    Proposal.Action.CREATE_LEAD: _create_lead,
    Proposal.Action.UPDATE_CRM: _update_fields,
    Proposal.Action.MARK_NOT_INTERESTED: _update_fields,
    Proposal.Action.SCHEDULE_FOLLOW_UP: _follow_up,
}


def proposal_apply(*, access: Access, proposal_id: int, client: CRMClient | None = None) -> Proposal:
    """Apply an approved (or failed) proposal to the CRM; an applied one is returned unchanged."""
    access.require(Scope.REVIEWS_WRITE)
    failure: CRMError | None = None
    with transaction.atomic():
        proposal = Proposal.objects.select_for_update().get(pk=proposal_id)
        if proposal.state == Proposal.State.APPLIED:
            return proposal
        if proposal.state not in {Proposal.State.APPROVED, Proposal.State.FAILED}:
            raise ProposalNotApproved(proposal)
        crm = client or get_crm_client()
        progress = Progress(remote_ids=dict(proposal.remote_ids))
        proposal.attempts += 1
        proposal.backend = crm.name
        try:
            # A savepoint: the local backend's writes roll back with a failure, the proposal's do not.
            with transaction.atomic():
                APPLIERS[Proposal.Action(proposal.action)](crm, proposal, progress)
        except CRMError as exc:
            failure = exc
            if crm.transactional:
                progress.remote_ids = dict(proposal.remote_ids)  # what it created was rolled back
            proposal.state = Proposal.State.FAILED
            proposal.error = f"{type(exc).__name__}: {exc}"[:ERROR_CHARS]
        else:
            proposal.state = Proposal.State.APPLIED
            proposal.error = ""
            proposal.applied_at = timezone.now()
        proposal.remote_ids = progress.remote_ids
        proposal.save()
        ProposalAuditEntry.objects.create(
            proposal=proposal,
            event=ProposalAuditEntry.Event.FAILED if failure else ProposalAuditEntry.Event.APPLIED,
            actor=access.label or "system",
            actor_user_id=access.user_id,
            backend=crm.name,
            before=progress.before,
            after=progress.after,
            remote_ids=progress.remote_ids,
            detail=proposal.error,
        )
    if failure is not None:
        logger.warning("proposal %s failed to apply: %s", proposal_id, failure)
        raise failure
    return proposal
