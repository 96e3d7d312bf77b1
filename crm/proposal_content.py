"""What each CRM-changing next step of a turn concretely proposes: the content of a proposal.

| action | content |
|---|---|
| ``CREATE_LEAD`` | ``fields``: name, email and company the prospect stated, stage lead; ``note`` |
| ``UPDATE_CRM`` | ``fields``: the stage the intent moves the prospect to (if forward); ``note`` |
| ``SCHEDULE_FOLLOW_UP`` | ``title``, ``body``, ``due_at`` (``CRM_FOLLOW_UP_DAYS`` after the turn) |
| ``MARK_NOT_INTERESTED`` | ``fields``: stage lost and do-not-contact; ``note`` |

Built from the turn as stored (its next steps and CRM snapshot), so the proposal shows exactly what a
reviewer approves; applying writes this content and nothing else (``crm/proposal_apply.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings

from crm.lead_details import lead_details
from crm.models import Proposal, Prospect

NOTE_EXCERPT_CHARS = 500


@dataclass(frozen=True)
class TurnFacts:
    """The parts of a stored turn a proposal is built from."""

    conversation_id: int
    prospect_id: str  # as the client sent it; "" when none was
    message: str
    earlier_prospect_messages: list[str]
    intent: str
    key_points: list[str]
    next_steps: list[dict[str, Any]]  # as stored: {"action", "details": {"reason", ...}}
    crm_snapshot: dict[str, Any] | None
    at: datetime


@dataclass(frozen=True)
class ProposalSpec:
    action: str
    prospect_id: str
    content: dict[str, Any]
    reason: str


def lead_id_for(conversation_id: int) -> str:
    """The id a lead gets when the client sent none (the CRM needs one to find the contact again)."""
    return f"lead-conversation-{conversation_id}"


def _note(facts: TurnFacts, heading: str) -> str:
    lines = [
        f"{heading} (conversation {facts.conversation_id})",
        f"Prospect wrote: {facts.message[:NOTE_EXCERPT_CHARS]}",
    ]
    # The key points, less the one that repeats the message.
    lines += [f"- {point}" for point in facts.key_points[:5] if not point.startswith("Prospect wrote")]
    return "\n".join(lines)


def _topic(facts: TurnFacts) -> str:
    return facts.intent.replace("_", " ") or "their message"


def _create_lead(facts: TurnFacts, target: str, reason: str) -> ProposalSpec:
    details = lead_details([facts.message, *reversed(facts.earlier_prospect_messages)])
    fields: dict[str, Any] = {"name": details.name, "email": details.email, "company": details.company}
    fields = {key: value for key, value in fields.items() if value}
    fields["stage"] = Prospect.Stage.LEAD
    content = {"fields": fields, "note": _note(facts, f"New lead: {_topic(facts)}")}
    return ProposalSpec(Proposal.Action.CREATE_LEAD, target, content, reason)


def _update(facts: TurnFacts, target: str, step: dict[str, Any], reason: str) -> ProposalSpec:
    stage = (step.get("details") or {}).get("stage") or ""
    content = {"fields": {"stage": stage} if stage else {}, "note": _note(facts, f"Agent: {_topic(facts)}")}
    return ProposalSpec(Proposal.Action.UPDATE_CRM, target, content, reason)


def _follow_up(facts: TurnFacts, target: str, reason: str) -> ProposalSpec:
    who = (facts.crm_snapshot or {}).get("name") or target
    content = {
        "title": f"Follow up with {who} about {_topic(facts)}"[:200],
        "body": f"{reason}. They wrote: {facts.message[:NOTE_EXCERPT_CHARS]}",
        "due_at": (facts.at + timedelta(days=settings.CRM_FOLLOW_UP_DAYS)).isoformat(),
    }
    return ProposalSpec(Proposal.Action.SCHEDULE_FOLLOW_UP, target, content, reason)


def _not_interested(facts: TurnFacts, target: str, reason: str) -> ProposalSpec:
    content = {
        "fields": {"stage": Prospect.Stage.LOST, "do_not_contact": True},
        "note": _note(facts, "Not interested: do not contact again"),
    }
    return ProposalSpec(Proposal.Action.MARK_NOT_INTERESTED, target, content, reason)


def build_proposals(facts: TurnFacts) -> list[ProposalSpec]:
    """One proposal per CRM-changing next step, a new lead's first (the others need its contact)."""
    target = facts.prospect_id or lead_id_for(facts.conversation_id)
    specs: list[ProposalSpec] = []
    for step in facts.next_steps:
        action = step.get("action")
        reason = str((step.get("details") or {}).get("reason") or "")[:500]
        if action == Proposal.Action.CREATE_LEAD:
            specs.insert(0, _create_lead(facts, target, reason))
        elif action == Proposal.Action.UPDATE_CRM:
            specs.append(_update(facts, target, step, reason))
        elif action == Proposal.Action.SCHEDULE_FOLLOW_UP:
            specs.append(_follow_up(facts, target, reason))
        elif action == Proposal.Action.MARK_NOT_INTERESTED:
            specs.append(_not_interested(facts, target, reason))
    # One proposal per action and turn (the table's constraint); a repeated step adds nothing.
    unique = {spec.action: spec for spec in reversed(specs)}
    return [spec for spec in specs if unique[spec.action] is spec]
