"""Reads for reviewing drafts: the review queue in the order a reviewer works it, one draft with its
context, and the quality signal computed from the decisions.

A draft's state is derived, not stored: ``approved`` or ``rejected`` once decided; ``superseded``
when, undecided, the prospect has written again since (see :func:`review_queue`); else ``pending``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from apikeys.access import Access
from conversations.models import Action, ActionableOutput, Message
from conversations.selectors import conversations_visible_to
from reviews.models import ReviewDecision


class DraftState:
    PENDING = "pending"
    SUPERSEDED = "superseded"
    APPROVED = ReviewDecision.State.APPROVED.value
    REJECTED = ReviewDecision.State.REJECTED.value
    CHOICES = [
        (PENDING, "Pending"),
        (SUPERSEDED, "Superseded"),
        (APPROVED, "Approved"),
        (REJECTED, "Rejected"),
    ]


PRIORITY_ORDER = ("high", "medium", "low")
FLAG_STEP = [{"action": Action.FLAG_FOR_HUMAN_REVIEW.value}]
# Everything a queue row shows comes from these joins: one query per page, however long the page.
QUEUE_RELATED = (
    "analysis",
    "analysis__message",
    "analysis__conversation",
    "analysis__conversation__prospect",
    "review",
    "review__delivery",
    "review__decided_by",
)


def _flag(condition: Q) -> ExpressionWrapper:
    return ExpressionWrapper(condition, output_field=BooleanField())


def review_queue(
    *, access: Access | None = None, queryset: QuerySet[ActionableOutput] | None = None
) -> QuerySet[ActionableOutput]:
    """Every draft the caller may see, annotated with its state and triage signals, in queue order.

    Order: drafts needing attention first (flagged for review, confidence below
    ``HUMAN_REVIEW_CONFIDENCE_THRESHOLD``, degraded, or negative sentiment), then by priority (high,
    medium, low), then oldest first. A key without ``conversations:read`` sees only drafts in the
    conversations it created; ``access=None`` (the admin's staff) sees all. ``queryset`` is the base
    (the admin passes its proxy model's).

    A draft whose prospect has written again since is *superseded*: it answers a message the
    conversation has moved past, so sending it would reply to a stale question (and its newer turn has
    its own draft). It leaves the pending queue, stays visible under ``state=superseded``, and may be
    rejected but not approved.
    """
    newer_prospect_message = Message.objects.filter(
        conversation_id=OuterRef("analysis__conversation_id"),
        sender=Message.Sender.PROSPECT,
        pk__gt=OuterRef("analysis__message_id"),
    )
    threshold = settings.HUMAN_REVIEW_CONFIDENCE_THRESHOLD
    if queryset is None:
        queryset = ActionableOutput.objects.all()
    if access is not None:
        queryset = queryset.filter(analysis__conversation__in=conversations_visible_to(access))
    return (
        queryset.select_related(*QUEUE_RELATED)
        .annotate(
            flagged=_flag(Q(next_steps__contains=FLAG_STEP)),
            low_confidence=_flag(Q(analysis__confidence__lt=threshold)),
            negative=_flag(Q(analysis__sentiment="negative")),
            superseded=Exists(newer_prospect_message),
        )
        .annotate(
            needs_attention=_flag(
                Q(flagged=True) | Q(low_confidence=True) | Q(degraded=True) | Q(negative=True)
            ),
            priority_rank=Case(
                *(
                    When(analysis__priority=name, then=Value(rank))
                    for rank, name in enumerate(PRIORITY_ORDER)
                ),
                default=Value(len(PRIORITY_ORDER)),
                output_field=IntegerField(),
            ),
            state=Coalesce(
                F("review__state"),
                Case(
                    When(superseded=True, then=Value(DraftState.SUPERSEDED)),
                    default=Value(DraftState.PENDING),
                ),
            ),
        )
        .order_by("-needs_attention", "priority_rank", "created_at", "id")
    )


def pending_draft_count(*, access: Access | None = None) -> int:
    """How many drafts await a decision (the pending queue's length), e.g. for a staff landing page."""
    return review_queue_filter(review_queue(access=access), state=DraftState.PENDING).count()


def review_queue_filter(
    queryset: QuerySet[ActionableOutput],
    *,
    state: str | None = None,
    intent: str | None = None,
    priority: str | None = None,
    sentiment: str | None = None,
    flagged: bool | None = None,
    degraded: bool | None = None,
    low_confidence: bool | None = None,
) -> QuerySet[ActionableOutput]:
    """The queue narrowed by the filters given (None: not filtered by that)."""
    lookups: dict[str, Any] = {
        "state": state,
        "analysis__intent": intent,
        "analysis__priority": priority,
        "analysis__sentiment": sentiment,
        "flagged": flagged,
        "degraded": degraded,
        "low_confidence": low_confidence,
    }
    return queryset.filter(**{name: value for name, value in lookups.items() if value is not None})


def draft_get(*, access: Access | None, output_id: int) -> ActionableOutput | None:
    """One draft of the queue (annotated like it), or None when it does not exist or is not visible."""
    return review_queue(access=access).filter(pk=output_id).first()


def flag_reasons(output: ActionableOutput) -> list[str]:
    """Why a draft needs a person's attention: the agent's own review reasons, then the triage signals."""
    reasons: list[str] = []
    for step in output.next_steps or []:
        if not isinstance(step, dict) or step.get("action") != Action.FLAG_FOR_HUMAN_REVIEW:
            continue
        details = step.get("details") or {}
        listed = details.get("reasons") if isinstance(details, dict) else None
        if isinstance(listed, list) and listed:
            reasons.extend(str(reason) for reason in listed)
        elif isinstance(details, dict) and details.get("reason"):
            reasons.append(str(details["reason"]))
    analysis = output.analysis
    if analysis.confidence < settings.HUMAN_REVIEW_CONFIDENCE_THRESHOLD:
        reasons.append(f"low confidence ({analysis.confidence:.2f})")
    if output.degraded:
        reasons.append("degraded answer (the model was unavailable)")
    if analysis.sentiment == "negative":
        reasons.append("negative sentiment")
    return list(dict.fromkeys(reasons))


def conversation_before(output: ActionableOutput) -> list[Message]:
    """The conversation up to and including the message the draft answers, oldest first."""
    message = output.analysis.message
    earlier = Message.objects.filter(conversation_id=message.conversation_id, pk__lte=message.pk).order_by(
        "-timestamp", "-id"
    )[: settings.MAX_HISTORY_MESSAGES + 1]
    return list(reversed(earlier))


@dataclass(frozen=True)
class ReviewMetrics:
    """How reviewers treated the drafts: a quality signal from real use (shares of decided drafts)."""

    drafts: int
    undecided: int
    decided: int
    approved: int
    approved_unedited: int
    approved_small_edits: int
    rejected: int
    small_edit_threshold: float
    sent_unedited_share: float | None
    sent_with_small_edits_share: float | None
    sent_within_threshold_share: float | None
    rejection_rate: float | None
    mean_edit_ratio: float | None
    since: datetime | None = None


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def review_metrics(*, since: datetime | None = None) -> ReviewMetrics:
    """The share of decided drafts sent unedited, sent with small edits, and rejected (three queries)."""
    threshold = settings.REVIEW_SMALL_EDIT_RATIO
    decisions = ReviewDecision.objects.all()
    drafts = ActionableOutput.objects.all()
    if since is not None:
        decisions = decisions.filter(decided_at__gte=since)
        drafts = drafts.filter(created_at__gte=since)
    approved = Q(state=ReviewDecision.State.APPROVED)
    counts = decisions.aggregate(
        decided=Count("id"),
        approved=Count("id", filter=approved),
        unedited=Count("id", filter=approved & Q(edit_distance=0)),
        small=Count("id", filter=approved & Q(edit_distance__gt=0, edit_ratio__lte=threshold)),
        rejected=Count("id", filter=Q(state=ReviewDecision.State.REJECTED)),
    )
    ratios = list(decisions.filter(approved).values_list("edit_ratio", flat=True))
    draft_counts = drafts.aggregate(total=Count("id"), undecided=Count("id", filter=Q(review__isnull=True)))
    decided = counts["decided"]
    return ReviewMetrics(
        drafts=draft_counts["total"],
        undecided=draft_counts["undecided"],
        decided=decided,
        approved=counts["approved"],
        approved_unedited=counts["unedited"],
        approved_small_edits=counts["small"],
        rejected=counts["rejected"],
        small_edit_threshold=threshold,
        sent_unedited_share=_share(counts["unedited"], decided),
        sent_with_small_edits_share=_share(counts["small"], decided),
        sent_within_threshold_share=_share(counts["unedited"] + counts["small"], decided),
        rejection_rate=_share(counts["rejected"], decided),
        mean_edit_ratio=round(sum(r for r in ratios if r is not None) / len(ratios), 4) if ratios else None,
        since=since,
    )
