"""Reviewed turns as evaluation cases, in the golden-dataset format of ``evaluation/datasets.py``.

Real traffic becomes regression data for ``run_eval``: the prospect's message and the conversation
before it, the analysis' intent, sentiment, entities and language as expected, the reply a person
sent (or the corrected reply from feedback) as the expected draft, and the draft's next steps less
``FLAG_FOR_HUMAN_REVIEW`` as the expected next steps (approving a draft approves its plan).

Which turns: every approved draft; a rejected draft only when feedback on it gives a corrected reply
(a rejection says the draft was wrong, not what would have been right, so without a correction there
is no expected reply to score against). A correction in feedback wins over the sent text. A case
``needs_review`` when its draft was rejected, edited beyond ``REVIEW_SMALL_EDIT_RATIO`` or reported.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet

from conversations.models import Action, Message
from reviews.models import Feedback, ReviewDecision

SOURCE_KEY = "review"


def exportable_decisions(*, since: datetime | None = None) -> QuerySet[ReviewDecision]:
    """Decisions whose turns make cases (see the module docstring), oldest first."""
    corrected = Feedback.objects.exclude(corrected_text="")
    decisions = ReviewDecision.objects.filter(
        Q(state=ReviewDecision.State.APPROVED) | Q(output__feedback__in=corrected)
    ).distinct()
    if since is not None:
        decisions = decisions.filter(decided_at__gte=since)
    return (
        decisions.select_related("output__analysis__message", "output__analysis__conversation")
        .prefetch_related(
            Prefetch("output__feedback", queryset=Feedback.objects.order_by("-created_at", "-id"))
        )
        .order_by("decided_at", "id")
    )


def _history(message: Message) -> list[dict[str, Any]]:
    earlier = Message.objects.filter(conversation_id=message.conversation_id, pk__lt=message.pk).order_by(
        "-timestamp", "-id"
    )[: settings.MAX_HISTORY_MESSAGES]
    return [
        {"sender": item.sender, "content": item.content, "timestamp": item.timestamp.isoformat()}
        for item in reversed(earlier)
    ]


def eval_case(decision: ReviewDecision) -> dict[str, Any]:
    """One decision's turn as a dataset case."""
    output = decision.output
    analysis = output.analysis
    message = analysis.message
    feedback = list(output.feedback.all())
    correction = next((item.corrected_text for item in feedback if item.corrected_text), "")
    expected_reply = correction or decision.sent_text
    rejected = decision.state == ReviewDecision.State.REJECTED
    heavily_edited = (decision.edit_ratio or 0) > settings.REVIEW_SMALL_EDIT_RATIO
    expected: dict[str, Any] = {
        "intent": analysis.intent,
        "sentiment": analysis.sentiment,
        "entities": [entity for entity in analysis.entities or [] if isinstance(entity, str)],
        "suggested_response_draft": expected_reply,
        "internal_next_steps": [
            step
            for step in output.next_steps or []
            if isinstance(step, dict) and step.get("action") != Action.FLAG_FOR_HUMAN_REVIEW
        ],
        "needs_review": rejected or heavily_edited or bool(feedback),
        SOURCE_KEY: {
            "draft_id": output.pk,
            "decision": decision.state,
            "decided_at": decision.decided_at.isoformat(),
            "edit_ratio": decision.edit_ratio,
            "corrected": bool(correction),
            "feedback_reasons": [item.reason for item in feedback],
        },
    }
    if len(analysis.language or "") == 2:
        expected["language"] = analysis.language.lower()
    return {
        "id": f"review-{output.pk}",
        "conversation_history": _history(message),
        "current_prospect_message": {"content": message.content, "timestamp": message.timestamp.isoformat()},
        "prospect_id": analysis.conversation.external_prospect_id or None,
        "expected": expected,
    }


def eval_cases(*, since: datetime | None = None) -> list[dict[str, Any]]:
    """Every exportable reviewed turn as a dataset case."""
    return [eval_case(decision) for decision in exportable_decisions(since=since)]
