"""Test data for reviews: answered turns made directly, as the pipeline stores them (no agent run)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.utils import timezone

from apikeys.models import ApiKey
from conversations.models import ActionableOutput, AnalysisResult, Conversation, Message
from crm.models import Prospect

DraftFactory = Callable[..., ActionableOutput]


def draft_create(
    *,
    message: str = "How much is the Standard plan?",
    draft: str = "The Standard plan is $49 per seat per month. Shall I prepare a quote?",
    prospect_id: str = "prospect_001",
    intent: str = "pricing_inquiry",
    priority: str = "medium",
    sentiment: str = "neutral",
    confidence: float = 0.9,
    degraded: bool = False,
    flag_reasons: tuple[str, ...] = (),
    age: timedelta = timedelta(0),
    api_key: ApiKey | None = None,
    conversation: Conversation | None = None,
    history: tuple[tuple[str, str], ...] = (),
) -> ActionableOutput:
    """An answered turn as the pipeline stores it, with the signals the queue sorts on."""
    now = timezone.now()
    if conversation is None:
        conversation = Conversation.objects.create(
            external_prospect_id=prospect_id,
            prospect=Prospect.objects.filter(external_id=prospect_id).first(),
            api_key=api_key,
        )
    for offset, (sender, content) in enumerate(history):
        Message.objects.create(
            conversation=conversation,
            sender=sender,
            content=content,
            timestamp=now - age - timedelta(minutes=len(history) - offset),
        )
    inbound = Message.objects.create(
        conversation=conversation, sender=Message.Sender.PROSPECT, content=message, timestamp=now - age
    )
    analysis = AnalysisResult.objects.create(
        conversation=conversation,
        message=inbound,
        intent=intent,
        sentiment=sentiment,
        entities=["standard plan"],
        priority=priority,
        confidence=confidence,
        brain="local",
    )
    steps = [{"action": "PROVIDE_PRICING_DETAILS", "details": {"reason": "standard plan price"}}]
    if flag_reasons:
        steps.append(
            {
                "action": "FLAG_FOR_HUMAN_REVIEW",
                "details": {"reason": "; ".join(flag_reasons), "reasons": list(flag_reasons)},
            }
        )
    output = ActionableOutput.objects.create(
        analysis=analysis,
        response_text=draft,
        action_type="PROVIDE_PRICING_DETAILS",
        next_steps=steps,
        tool_usage_log=[
            {"tool": "knowledge_search", "input": {"query": "standard plan"}, "ok": True, "latency_ms": 12.5}
        ],
        crm_snapshot={
            "prospect_id": prospect_id,
            "name": "Ada Lovelace",
            "lead_score": 72,
            "technologies": ["Slack"],
        },
        degraded=degraded,
    )
    if age:
        ActionableOutput.objects.filter(pk=output.pk).update(created_at=now - age)
        AnalysisResult.objects.filter(pk=analysis.pk).update(created_at=now - age)
        output.refresh_from_db()
    return output
