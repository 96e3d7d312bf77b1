"""Writes for conversations: receiving a prospect's message and storing the agent's answer to it.

A turn is two steps, each one transaction: :func:`turn_receive` stores the conversation and the
inbound message before any model is called, and :func:`turn_answer` runs the agent and stores the
analysis and output together. A failure in between leaves a stored message without an answer, which
:func:`turn_answer` answers later (a client's retry, or the sweep in ``conversations/idempotency.py``);
never a half-written analysis, and never two answers to one message.

Every write checks the caller's :class:`~apikeys.access.Access`: answering turns and recording
messages need ``turns:write``, and a key without ``conversations:read`` may only continue the
conversations it created.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apikeys.access import Access, Scope
from conversations.agent.evidence import earlier_prospect_messages
from conversations.agent.pipeline import run_turn
from conversations.agent.types import HistoryMessage, TurnInput, TurnResult
from conversations.models import ActionableOutput, AnalysisResult, Conversation, Message
from conversations.observability import turn_failed, turn_observe
from conversations.selectors import conversation_visible, conversations_visible_to
from crm.models import Interaction, Prospect
from crm.proposals import proposals_create_for_turn
from crm.services import interaction_log_on_commit
from salesagent.errors import DomainError


class ConversationNotFound(DomainError, LookupError):
    """The conversation does not exist, or the caller's key may not see it."""

    status_code = 404
    code = "conversation_not_found"
    message = "No such conversation."


class ConversationFull(DomainError, ValueError):
    """The conversation already holds ``MAX_CONVERSATION_MESSAGES`` messages: the request is fine, the
    conversation's state refuses it (also a field error on ``conversation_id``)."""

    status_code = 409
    code = "conversation_full"

    def extra(self) -> dict[str, list[str]]:
        return {"conversation_id": [str(self)]}


@dataclass
class StoredTurn:
    conversation: Conversation
    message: Message
    analysis: AnalysisResult
    output: ActionableOutput
    # The agent's result when this call answered the message; None when it had already been answered.
    result: TurnResult | None


def _history_before(message: Message) -> list[HistoryMessage]:
    # Everything stored before this message is its context, whatever timestamps clients sent; at most
    # the latest MAX_HISTORY_MESSAGES of it, the same cap as history sent with a new conversation.
    earlier = (
        Message.objects.filter(conversation_id=message.conversation_id, pk__lt=message.pk)
        .order_by("-timestamp", "-id")
        .values_list("sender", "content", "timestamp")[: settings.MAX_HISTORY_MESSAGES]
    )
    return [HistoryMessage(sender=sender, content=content, timestamp=ts) for sender, content, ts in earlier][
        ::-1
    ]


def _timestamps(history: list[HistoryMessage], before: datetime) -> list[datetime]:
    """The history's timestamps: undated messages get increasing ones just before ``before``, in order."""
    count = len(history)
    return [item.timestamp or before - timedelta(seconds=count - i) for i, item in enumerate(history)]


def _check_room(conversation: Conversation, adding: int = 1) -> None:
    if conversation.messages.count() + adding > settings.MAX_CONVERSATION_MESSAGES:
        raise ConversationFull(
            f"This conversation has reached {settings.MAX_CONVERSATION_MESSAGES} messages; start a new one."
        )


@transaction.atomic
def turn_receive(
    *,
    access: Access,
    message: str,
    message_timestamp: datetime | None = None,
    history: list[HistoryMessage] | None = None,
    prospect_id: str | None = None,
    conversation_id: int | None = None,
) -> Message:
    """Store a prospect's message (in a new conversation with ``history``, or an existing one).

    With ``conversation_id`` the stored history is the context and ``history`` is ignored.
    """
    access.require(Scope.TURNS_WRITE)
    received_at = message_timestamp or timezone.now()
    opens_conversation = False
    if conversation_id is not None:
        conversation = conversations_visible_to(access).select_for_update().filter(pk=conversation_id).first()
        if conversation is None:
            raise ConversationNotFound(conversation_id)
        _check_room(conversation)
        Conversation.objects.filter(pk=conversation.pk).update(updated_at=timezone.now())
    else:
        prospect = Prospect.objects.filter(external_id=prospect_id).first() if prospect_id else None
        conversation = Conversation.objects.create(
            prospect=prospect, external_prospect_id=prospect_id or "", api_key_id=access.api_key_id
        )
        items = list(history or [])
        Message.objects.bulk_create(
            Message(conversation=conversation, sender=item.sender, content=item.content, timestamp=timestamp)
            for item, timestamp in zip(items, _timestamps(items, received_at), strict=True)
        )
        opens_conversation = not items
    stored = Message.objects.create(
        conversation=conversation, sender=Message.Sender.PROSPECT, content=message, timestamp=received_at
    )
    stored.opens_conversation = opens_conversation
    return stored


def knowledge_results(result: TurnResult) -> list[dict[str, Any]]:
    """The retrieved chunks as stored with the output and returned by the API."""
    return [
        {
            "document": r.document_slug,
            "canonical_document": r.canonical_slug,
            "language": r.language,
            "chunk_id": r.chunk_id,
            "heading_path": r.heading_path,
            "text": r.text,
            "score": round(r.score, 4),
            "cited": r.chunk_id in result.citations,
        }
        for r in result.knowledge
    ]


def _existing_turn(message: Message) -> StoredTurn | None:
    analysis = AnalysisResult.objects.select_related("output").filter(message=message).order_by("id").first()
    if analysis is None:
        return None
    return StoredTurn(message.conversation, message, analysis, analysis.output, None)


def _store(message: Message, result: TurnResult, turn: TurnInput) -> StoredTurn:
    conversation = message.conversation
    if not conversation.topic:
        conversation.topic = result.intent.replace("_", " ")
        Conversation.objects.filter(pk=conversation.pk).update(topic=conversation.topic)
    analysis = AnalysisResult.objects.create(
        conversation=conversation,
        message=message,
        intent=result.intent,
        intents=result.intents,
        language=result.language,
        sentiment=result.sentiment,
        entities=result.entities,
        key_points=result.key_points,
        priority=result.priority,
        action_required=result.primary_action not in {"MARK_NOT_INTERESTED"},
        confidence=result.confidence,
        brain=result.brain,
        model_name=result.model_name,
        reader_version=result.reader_version,
        latency_ms=round(result.latency_ms, 2),
        prompt_tokens=result.prompt_tokens,
        completion_tokens=result.completion_tokens,
        prompt_version=result.prompt_version,
        cost_usd=Decimal(str(round(result.cost_usd, 6))),
    )
    output = ActionableOutput.objects.create(
        analysis=analysis,
        response_text=result.draft,
        action_type=result.primary_action,
        next_steps=[step.as_dict() for step in result.next_steps],
        tool_usage_log=[call.as_dict() for call in result.tool_log],
        knowledge_citations=[
            {"chunk_id": r.chunk_id, "document": r.document_slug, "score": round(r.score, 4)}
            for r in result.knowledge
            if r.chunk_id in result.citations
        ],
        knowledge_results=knowledge_results(result),
        questions=result.questions,
        crm_snapshot=result.prospect.as_dict() if result.prospect else None,
        reasoning_trace=result.reasoning_trace,
        degraded=result.degraded,
        unsupported_claims=result.unsupported_claims,
    )
    # The CRM changes among the next steps become proposals for a person to approve, with the turn.
    proposals_create_for_turn(
        conversation_id=conversation.pk,
        analysis_id=analysis.pk,
        prospect_id=conversation.external_prospect_id,
        message=message.content,
        earlier_prospect_messages=earlier_prospect_messages(turn),
        intent=result.intent,
        key_points=result.key_points,
        next_steps=output.next_steps,
        crm_snapshot=output.crm_snapshot,
        at=analysis.created_at,
    )
    return StoredTurn(conversation, message, analysis, output, result)


def turn_answer(
    *,
    message: Message,
    brain: str | None = None,
    on_stored: Callable[[StoredTurn], None] | None = None,
    just_received: bool = False,
) -> StoredTurn:
    """Run the agent on a stored prospect message and store its analysis and output in one transaction.

    A message that already has an answer is not answered again (a retry and the sweep may meet):
    its stored turn is returned. ``on_stored`` runs inside the storing transaction, so what it writes
    (an idempotent request's link to the answer) commits together with the turn or not at all. The
    CRM interaction is logged by a Celery task after commit; its failure never fails the turn.
    ``just_received``: the caller stored the message in this request, so no answer to it can exist
    yet and it is not looked for before the agent runs (it still is under the lock, before storing).
    """
    if not just_received:
        existing = _existing_turn(message)
        if existing is not None:
            return existing
    conversation = message.conversation
    turn = TurnInput(
        message=message.content,
        history=[] if message.opens_conversation else _history_before(message),
        prospect_id=conversation.external_prospect_id or None,
    )
    try:
        result = run_turn(turn, brain=brain)
    except Exception:
        requested = brain or settings.AGENT_BRAIN
        turn_failed(brain=requested, conversation_id=conversation.pk, message_id=message.pk)
        raise

    with transaction.atomic():
        Message.objects.select_for_update().filter(pk=message.pk).first()
        stored = _existing_turn(message) or _store(message, result, turn)
        if on_stored is not None:
            on_stored(stored)
        if stored.result is not None and result.prospect is not None:
            interaction_log_on_commit(
                external_id=result.prospect.prospect_id,
                kind=Interaction.Kind.INBOUND_MESSAGE,
                summary=f"[{result.intent}] {message.content[:300]} -> {result.primary_action}",
                conversation_id=conversation.pk,
            )
    turn_observe(
        result, conversation_id=conversation.pk, message_id=message.pk, analysis_id=stored.analysis.pk
    )
    return stored


def turn_process(
    *,
    access: Access,
    message: str,
    message_timestamp: datetime | None = None,
    history: list[HistoryMessage] | None = None,
    prospect_id: str | None = None,
    conversation_id: int | None = None,
    brain: str | None = None,
) -> StoredTurn:
    """Store a prospect's message, then analyse it and store the agent's answer."""
    inbound = turn_receive(
        access=access,
        message=message,
        message_timestamp=message_timestamp,
        history=history,
        prospect_id=prospect_id,
        conversation_id=conversation_id,
    )
    return turn_answer(message=inbound, brain=brain, just_received=True)


@transaction.atomic
def message_record(
    *,
    access: Access,
    conversation: Conversation,
    sender: str,
    content: str,
    timestamp: datetime | None = None,
) -> Message:
    """Add a message to a conversation, e.g. the agent's reply once the client confirms it was sent."""
    access.require(Scope.TURNS_WRITE)
    if not conversation_visible(access, conversation):
        raise ConversationNotFound(conversation.pk)
    locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
    _check_room(locked)
    stored = Message.objects.create(
        conversation=conversation, sender=sender, content=content, timestamp=timestamp or timezone.now()
    )
    Conversation.objects.filter(pk=conversation.pk).update(updated_at=timezone.now())
    if sender == Message.Sender.AGENT and conversation.external_prospect_id:
        interaction_log_on_commit(
            external_id=conversation.external_prospect_id,
            kind=Interaction.Kind.AGENT_REPLY,
            summary=content[:500],
            conversation_id=conversation.pk,
        )
    return stored
