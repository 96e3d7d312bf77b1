"""What a turn tells operators: its metrics and one log line, with reasons mapped to short labels.

Reasons are free text (a risk reason quotes the message), so metrics and logs carry only the short
label of each, never the text; the draft and the prospect's message are never logged.
"""

from __future__ import annotations

from typing import Any

import structlog

from conversations.agent.risks import RISK_REASONS
from conversations.agent.types import TurnResult
from salesagent import metrics

logger = structlog.get_logger("conversations.turns")
FLAG_ACTION = "FLAG_FOR_HUMAN_REVIEW"

# Degraded reasons, as the model path words them (model_client, model_brain, breaker, pipeline).
DEGRADED_LABELS: tuple[tuple[str, str], ...] = (
    ("no model endpoint", "not_configured"),
    ("circuit", "circuit_open"),
    ("time budget", "budget_exhausted"),
    ("timeout", "timeout"),
    ("connection error", "connection_error"),
    ("HTTP 429", "rate_limited"),
    ("HTTP 5", "server_error"),
    ("HTTP 4", "client_error"),
    ("invalid output", "invalid_output"),
    ("refused", "refused"),
    ("unexpected error", "crashed"),
)
# Review reasons, as the policy, the brains and the evidence word them; then the risks' own.
REVIEW_LABELS: tuple[tuple[str, str], ...] = (
    ("confidence ", "low_confidence"),
    ("no knowledge-base sentence answers", "no_answer"),
    ("the prospect wrote in", "language_mismatch"),
    ("no knowledge-base documents in", "no_language_knowledge"),
    ("the knowledge base says nothing about", "unknown_terms"),
    ("questions have no knowledge-base answer", "unanswered_questions"),
    ("the model asked for review", "model_requested"),
    ("the draft makes claims", "unsupported_claims"),
    *((str(text), str(kind)) for kind, text in RISK_REASONS.items()),
)


def degraded_label(reason: str) -> str:
    """A short, fixed name for why the model path failed."""
    return next((label for marker, label in DEGRADED_LABELS if marker in reason), "other")


def review_label(reason: str) -> str:
    """A short, fixed name for one review reason."""
    return next((label for marker, label in REVIEW_LABELS if marker in reason), "other")


def turn_review_labels(result: TurnResult) -> list[str]:
    """The labels of every reason this turn was flagged for (none when it was not)."""
    flag = next((step for step in result.next_steps if step.action == FLAG_ACTION), None)
    if flag is None:
        return []
    reasons = flag.extra.get("reasons") or [flag.reason]
    labels = [review_label(str(reason)) for reason in reasons]
    if flag.extra.get("unsupported_claims"):
        labels.append("unsupported_claims")
    return list(dict.fromkeys(labels))


def turn_degraded_reason(result: TurnResult) -> str:
    """Why the local brain answered instead of the model ('' when it did not)."""
    if not result.degraded:
        return ""
    fallback = next((call for call in result.tool_log if call.tool == "model_fallback"), None)
    return str(fallback.input.get("reason", "")) if fallback else ""


def turn_observe(result: TurnResult, *, conversation_id: int, message_id: int, analysis_id: int) -> None:
    """Record an answered turn's metrics and write its one log line."""
    review = turn_review_labels(result)
    degraded = degraded_label(turn_degraded_reason(result)) if result.degraded else None
    outcome = "degraded" if result.degraded else "flagged" if review else "answered"
    metrics.record_turn(
        brain=result.brain,
        intent=result.intent,
        outcome=outcome,
        latency_seconds=result.latency_ms / 1000,
        confidence=result.confidence,
        degraded_reason=degraded,
        review_reasons=review,
    )
    logger.info(
        "turn_answered",
        turn_id=analysis_id,
        conversation_id=conversation_id,
        message_id=message_id,
        brain=result.brain,
        model=result.model_name,
        intent=result.intent,
        primary_action=result.primary_action,
        outcome=outcome,
        degraded_reason=degraded,
        review_reasons=review,
        confidence=round(result.confidence, 3),
        language=result.language,
        latency_ms=round(result.latency_ms, 1),
        prompt_tokens=result.prompt_tokens,
        completion_tokens=result.completion_tokens,
    )


def turn_failed(*, brain: str, conversation_id: int, message_id: int) -> None:
    """A turn raised instead of answering; the traceback is logged by whoever handles the error."""
    metrics.record_turn_error(brain=brain)
    logger.warning(
        "turn_failed", conversation_id=conversation_id, message_id=message_id, brain=brain, outcome="error"
    )


def model_call_observe(*, model: str, latency_ms: float, error: str = "", usage: Any = None) -> None:
    """One chat model attempt: ``error`` is :func:`model_client.describe_error`'s wording, if it failed;
    ``usage`` the completion's token usage, if it succeeded."""
    outcome = degraded_label(error) if error else "ok"
    metrics.record_model_call(model=model, outcome=outcome, latency_seconds=latency_ms / 1000)
    if usage is not None:
        metrics.record_model_usage(
            model=model,
            prompt_tokens=usage.prompt_tokens or 0,
            completion_tokens=usage.completion_tokens or 0,
        )


def model_retry_observe(*, model: str) -> None:
    metrics.record_model_retry(model=model)
