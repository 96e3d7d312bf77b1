"""Writes for reviewing drafts: approve (as is or edited), reject, report feedback, configure webhooks.

Each checks the caller's :class:`~apikeys.access.Access` for ``reviews:write`` (staff in the admin
act through ``Access.for_user``) and sees only the drafts :func:`reviews.selectors.review_queue`
shows it. A draft is decided once: the decision row is unique per draft and written under a lock on
the draft. Approving again with the same text is a replay (nothing is recorded or sent twice); any
other second decision raises :class:`DraftAlreadyDecided`.

Approval records the reply as the agent's message in the conversation and queues its delivery
(``reviews/delivery.py``) once the transaction commits.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass

from celery.exceptions import Retry
from django.db import transaction
from django.utils import timezone
from rapidfuzz.distance import Levenshtein

from apikeys.access import Access, Scope
from conversations.models import ActionableOutput, Message
from conversations.services import message_record
from reviews.delivery import delivery_prepare
from reviews.models import Delivery, Feedback, ReviewDecision, WebhookEndpoint
from reviews.selectors import draft_get
from reviews.tasks import deliver_webhook_task
from salesagent.errors import DomainError

logger = logging.getLogger(__name__)


class DraftNotFound(DomainError, LookupError):
    """No such draft, or the caller's key may not see its conversation."""

    status_code = 404
    code = "draft_not_found"
    message = "No such draft."


class DraftAlreadyDecided(DomainError):
    """The draft already has a (different) decision; a draft is decided once."""

    status_code = 409
    code = "draft_already_decided"

    def __init__(self, decision: ReviewDecision) -> None:
        super().__init__(f"This draft was already {decision.state} at {decision.decided_at.isoformat()}.")
        self.decision = decision

    def extra(self) -> dict[str, str]:
        return {"state": self.decision.state, "decided_at": self.decision.decided_at.isoformat()}


class DraftSuperseded(DomainError):
    """The prospect wrote again after this draft: it answers a stale message and cannot be sent."""

    status_code = 409
    code = "draft_superseded"
    message = "The prospect has written since this draft; review the newer turn's draft instead."


@dataclass(frozen=True)
class DecisionOutcome:
    decision: ReviewDecision
    # True when this call only found the same decision already made (a retried approval).
    replayed: bool = False


def _locked_draft(access: Access, output_id: int) -> ActionableOutput:
    # Lock the draft's row first: concurrent decisions on it queue up here, and each then reads the
    # draft's state (decided, superseded) as the previous one committed it.
    ActionableOutput.objects.select_for_update().filter(pk=output_id).first()
    draft = draft_get(access=access, output_id=output_id)
    if draft is None:
        raise DraftNotFound(output_id)
    return draft


def _existing(draft: ActionableOutput) -> ReviewDecision | None:
    return ReviewDecision.objects.select_related("delivery").filter(output_id=draft.pk).first()


def _enqueue_delivery(delivery_id: str) -> None:
    try:
        deliver_webhook_task.delay(str(delivery_id))
    except Retry:
        # Only without a broker (tasks run inline): the first try failed and there is no queue to
        # retry through, so the delivery stays pending, visible in the admin's delivery log.
        logger.warning("webhook delivery %s failed inline; run a worker to retry it", delivery_id)
    except Exception:
        # The approval is committed and the reply recorded; a broker outage leaves the delivery
        # pending and visible in the admin rather than failing the reviewer's request.
        logger.exception("could not queue webhook delivery %s", delivery_id)


def _approved_by(access: Access) -> str:
    return access.label or "unknown"


def _decision_create(
    access: Access, draft: ActionableOutput, state: ReviewDecision.State, **outcome: object
) -> ReviewDecision:
    """The decision on a draft: what every decision records (who, when, the draft as it stood) and
    ``outcome``, the fields of its kind."""
    return ReviewDecision.objects.create(
        output=draft,
        state=state,
        decided_by_id=access.user_id,
        api_key_id=access.api_key_id,
        decided_at=timezone.now(),
        draft_text=draft.response_text,
        **outcome,
    )


def draft_approve(*, access: Access, output_id: int, text: str | None = None) -> DecisionOutcome:
    """Approve a draft as written (``text`` None or unchanged) or edited, record and deliver the reply."""
    access.require(Scope.REVIEWS_WRITE)
    with transaction.atomic():
        draft = _locked_draft(access, output_id)
        sent = draft.response_text if text is None else text.strip()
        existing = _existing(draft)
        if existing is not None:
            if existing.state == ReviewDecision.State.APPROVED and existing.sent_text == sent:
                return DecisionOutcome(existing, replayed=True)
            raise DraftAlreadyDecided(existing)
        if getattr(draft, "superseded", False):
            raise DraftSuperseded(output_id)
        conversation = draft.analysis.conversation
        # Approving is what reviews:write grants; recording the approved reply is part of it, so the
        # caller need not also hold turns:write (visibility is still checked with its own key).
        recorder = dataclasses.replace(access, scopes=access.scopes | {Scope.TURNS_WRITE})
        message = message_record(
            access=recorder, conversation=conversation, sender=Message.Sender.AGENT, content=sent
        )
        decision = _decision_create(
            access,
            draft,
            ReviewDecision.State.APPROVED,
            sent_text=sent,
            edit_distance=Levenshtein.distance(draft.response_text, sent),
            edit_ratio=round(Levenshtein.normalized_distance(draft.response_text, sent), 4),
            message=message,
        )
        delivery = delivery_prepare(
            decision=decision, conversation=conversation, approved_by=_approved_by(access)
        )
        if delivery.state == Delivery.State.PENDING:
            transaction.on_commit(lambda: _enqueue_delivery(str(delivery.id)), robust=True)
    return DecisionOutcome(decision)


@transaction.atomic
def draft_reject(*, access: Access, output_id: int, reason: str) -> DecisionOutcome:
    """Reject a draft with a reason; nothing is recorded in the conversation or sent."""
    access.require(Scope.REVIEWS_WRITE)
    reason = reason.strip()
    if not reason:
        raise ValueError("A rejection needs a reason.")
    draft = _locked_draft(access, output_id)
    existing = _existing(draft)
    if existing is not None:
        raise DraftAlreadyDecided(existing)
    decision = _decision_create(access, draft, ReviewDecision.State.REJECTED, rejection_reason=reason)
    return DecisionOutcome(decision)


@transaction.atomic
def feedback_create(
    *, access: Access, output_id: int, reason: str, note: str = "", corrected_text: str = ""
) -> Feedback:
    """Report what was wrong with an AI message (a draft or the reply sent from it)."""
    access.require(Scope.REVIEWS_WRITE)
    if reason not in Feedback.Reason.values:
        raise ValueError(f"Unknown feedback reason {reason!r}.")
    draft = draft_get(access=access, output_id=output_id)
    if draft is None:
        raise DraftNotFound(output_id)
    return Feedback.objects.create(
        output=draft,
        reason=reason,
        note=note.strip(),
        corrected_text=corrected_text.strip(),
        user_id=access.user_id,
        api_key_id=access.api_key_id,
    )


@transaction.atomic
def webhook_endpoint_save(*, access: Access, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Create or change an outbound webhook endpoint (the admin's form); later deliveries use it."""
    access.require(Scope.REVIEWS_WRITE)
    endpoint.full_clean()
    endpoint.save()
    return endpoint
