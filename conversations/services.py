"""Writes for conversations: receiving a prospect's message and storing the agent's answer to it.

A turn is two steps, each one transaction: :func:`turn_receive` stores the conversation and the
inbound message before any model is called, and :func:`turn_answer` runs the agent and stores the
analysis and output together. A crash in between leaves a stored message without an answer, which
:func:`turn_answer` can answer later; never a half-written analysis.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from conversations.agent.pipeline import run_turn
from conversations.agent.types import HistoryMessage, TurnInput, TurnResult
from conversations.models import ActionableOutput, AnalysisResult, Conversation, Message
from conversations.observability import turn_failed, turn_observe
from crm.client import get_crm_client
from crm.models import Interaction, Prospect


class ConversationNotFound(LookupError):
    """The conversation id given with a turn does not exist."""


@dataclass
class StoredTurn:
    conversation: Conversation
    message: Message
    analysis: AnalysisResult
    output: ActionableOutput
    result: TurnResult


def _history_before(message: Message) -> list[HistoryMessage]:
    # Everything stored before this message is its context, whatever timestamps clients sent.
    earlier = (
        Message.objects.filter(conversation_id=message.conversation_id, pk__lt=message.pk)
        .order_by("timestamp", "id")
        .values_list("sender", "content", "timestamp")
    )
    return [HistoryMessage(sender=sender, content=content, timestamp=ts) for sender, content, ts in earlier]


def _timestamps(history: list[HistoryMessage], before: datetime) -> list[datetime]:
    """The history's timestamps: undated messages get increasing ones just before ``before``, in order."""
    count = len(history)
    return [item.timestamp or before - timedelta(seconds=count - i) for i, item in enumerate(history)]


def _log_interaction(prospect_id: str, conversation_id: int, message: str, result: TurnResult) -> None:
    get_crm_client().log_interaction(
        external_id=prospect_id,
        kind=Interaction.Kind.INBOUND_MESSAGE,
        summary=f"[{result.intent}] {message[:300]} -> {result.primary_action}",
        conversation_id=conversation_id,
    )


@transaction.atomic
def turn_receive(
    *,
    message: str,
    message_timestamp: datetime | None = None,
    history: list[HistoryMessage] | None = None,
    prospect_id: str | None = None,
    conversation_id: int | None = None,
) -> Message:
    """Store a prospect's message (in a new conversation with ``history``, or an existing one).

    With ``conversation_id`` the stored history is the context and ``history`` is ignored.
    """
    received_at = message_timestamp or timezone.now()
    if conversation_id is not None:
        conversation = Conversation.objects.select_for_update().filter(pk=conversation_id).first()
        if conversation is None:
            raise ConversationNotFound(conversation_id)
        Conversation.objects.filter(pk=conversation.pk).update(updated_at=timezone.now())
    else:
        prospect = Prospect.objects.filter(external_id=prospect_id).first() if prospect_id else None
        conversation = Conversation.objects.create(prospect=prospect, external_prospect_id=prospect_id or "")
        items = list(history or [])
        Message.objects.bulk_create(
            Message(conversation=conversation, sender=item.sender, content=item.content, timestamp=timestamp)
            for item, timestamp in zip(items, _timestamps(items, received_at), strict=True)
        )
    return Message.objects.create(
        conversation=conversation, sender=Message.Sender.PROSPECT, content=message, timestamp=received_at
    )


def turn_answer(
    *, message: Message, brain: str | None = None, on_stored: Callable[[StoredTurn], None] | None = None
) -> StoredTurn:
    """Run the agent on a stored prospect message and store its analysis and output in one transaction.

    ``on_stored`` runs inside that transaction, so what it writes (an idempotent request's response)
    commits together with the turn or not at all.
    """
    conversation = message.conversation
    turn = TurnInput(
        message=message.content,
        history=_history_before(message),
        prospect_id=conversation.external_prospect_id or None,
    )
    try:
        result = run_turn(turn, brain=brain)
    except Exception:
        requested = brain or settings.AGENT_BRAIN
        turn_failed(brain=requested, conversation_id=conversation.pk, message_id=message.pk)
        raise

    with transaction.atomic():
        if not conversation.topic:
            conversation.topic = result.intent.replace("_", " ")
            Conversation.objects.filter(pk=conversation.pk).update(topic=conversation.topic)
        analysis = AnalysisResult.objects.create(
            conversation=conversation,
            message=message,
            intent=result.intent,
            language=result.language,
            sentiment=result.sentiment,
            entities=result.entities,
            key_points=result.key_points,
            priority=result.priority,
            action_required=result.primary_action not in {"MARK_NOT_INTERESTED"},
            confidence=result.confidence,
            brain=result.brain,
            model_name=result.model_name,
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
            crm_snapshot=result.prospect.as_dict() if result.prospect else None,
            reasoning_trace=result.reasoning_trace,
            degraded=result.degraded,
            unsupported_claims=result.unsupported_claims,
        )
        stored = StoredTurn(conversation, message, analysis, output, result)
        if on_stored is not None:
            on_stored(stored)
        if result.prospect is not None:
            prospect_id, stored_id = result.prospect.prospect_id, conversation.pk
            transaction.on_commit(lambda: _log_interaction(prospect_id, stored_id, message.content, result))
    turn_observe(result, conversation_id=conversation.pk, message_id=message.pk, analysis_id=analysis.pk)
    return stored


def turn_process(
    *,
    message: str,
    message_timestamp: datetime | None = None,
    history: list[HistoryMessage] | None = None,
    prospect_id: str | None = None,
    conversation_id: int | None = None,
    brain: str | None = None,
) -> StoredTurn:
    """Store a prospect's message, then analyse it and store the agent's answer."""
    inbound = turn_receive(
        message=message,
        message_timestamp=message_timestamp,
        history=history,
        prospect_id=prospect_id,
        conversation_id=conversation_id,
    )
    return turn_answer(message=inbound, brain=brain)


@transaction.atomic
def message_record(
    *, conversation: Conversation, sender: str, content: str, timestamp: datetime | None = None
) -> Message:
    """Add a message to a conversation, e.g. the agent's reply once the client confirms it was sent."""
    stored = Message.objects.create(
        conversation=conversation, sender=sender, content=content, timestamp=timestamp or timezone.now()
    )
    Conversation.objects.filter(pk=conversation.pk).update(updated_at=timezone.now())
    if sender == Message.Sender.AGENT and conversation.external_prospect_id:
        external_id, conversation_id = conversation.external_prospect_id, conversation.pk
        transaction.on_commit(
            lambda: get_crm_client().log_interaction(
                external_id=external_id,
                kind=Interaction.Kind.AGENT_REPLY,
                summary=content[:500],
                conversation_id=conversation_id,
            )
        )
    return stored
