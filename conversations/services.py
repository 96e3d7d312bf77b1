"""Writes for conversations: processing a prospect's message into a stored, reviewable turn."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from conversations.agent.pipeline import run_turn
from conversations.agent.types import HistoryMessage, TurnInput, TurnResult
from conversations.models import ActionableOutput, AnalysisResult, Conversation, Message
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


def _stored_history(conversation: Conversation) -> list[HistoryMessage]:
    return [
        HistoryMessage(sender=sender, content=content, timestamp=timestamp)
        for sender, content, timestamp in conversation.messages.values_list("sender", "content", "timestamp")
    ]


def _with_timestamps(history: list[HistoryMessage], before: datetime) -> list[HistoryMessage]:
    """Give undated history messages increasing timestamps just before ``before``, keeping their order."""
    count = len(history)
    return [
        item
        if item.timestamp
        else HistoryMessage(item.sender, item.content, before - timedelta(seconds=count - i))
        for i, item in enumerate(history)
    ]


def _log_interaction(prospect_id: str, conversation_id: int, message: str, result: TurnResult) -> None:
    get_crm_client().log_interaction(
        external_id=prospect_id,
        kind=Interaction.Kind.INBOUND_MESSAGE,
        summary=f"[{result.intent}] {message[:300]} -> {result.primary_action}",
        conversation_id=conversation_id,
    )


def turn_process(
    *,
    message: str,
    message_timestamp: datetime | None = None,
    history: list[HistoryMessage] | None = None,
    prospect_id: str | None = None,
    conversation_id: int | None = None,
    brain: str | None = None,
) -> StoredTurn:
    """Analyse a prospect message and store the conversation, message, analysis and output.

    With ``conversation_id`` the stored history is used and ``history`` is ignored. The pipeline runs
    before anything is written, and every row of the turn is written in one transaction, so a
    failure leaves nothing half-stored.
    """
    conversation: Conversation | None = None
    if conversation_id is not None:
        conversation = Conversation.objects.filter(pk=conversation_id).first()
        if conversation is None:
            raise ConversationNotFound(conversation_id)
        history = _stored_history(conversation)
        prospect_id = prospect_id or conversation.external_prospect_id or None
    received_at = message_timestamp or timezone.now()
    history = _with_timestamps(list(history or []), received_at)

    result = run_turn(TurnInput(message=message, history=history, prospect_id=prospect_id), brain=brain)

    with transaction.atomic():
        if conversation is None:
            prospect = Prospect.objects.filter(external_id=prospect_id).first() if prospect_id else None
            conversation = Conversation.objects.create(
                topic=result.intent.replace("_", " "),
                prospect=prospect,
                external_prospect_id=prospect_id or "",
            )
            Message.objects.bulk_create(
                Message(
                    conversation=conversation,
                    sender=item.sender,
                    content=item.content,
                    timestamp=item.timestamp,
                )
                for item in history
            )
        else:
            Conversation.objects.filter(pk=conversation.pk).update(updated_at=timezone.now())
        inbound = Message.objects.create(
            conversation=conversation, sender=Message.Sender.PROSPECT, content=message, timestamp=received_at
        )
        analysis = AnalysisResult.objects.create(
            conversation=conversation,
            message=inbound,
            intent=result.intent,
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
        )
        if result.prospect is not None:
            stored_id = conversation.pk
            transaction.on_commit(
                lambda: _log_interaction(result.prospect.prospect_id, stored_id, message, result)
            )
    return StoredTurn(conversation, inbound, analysis, output, result)
