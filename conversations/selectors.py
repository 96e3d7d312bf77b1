"""Reads for conversations that depend on who asks: a key without conversations:read sees its own only;
and the traffic figures of the staff home page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet

from apikeys.access import Access
from conversations.models import AnalysisResult, Conversation


def conversations_visible_to(access: Access) -> QuerySet[Conversation]:
    """Every conversation for keys with ``conversations:read`` (and staff); else those the key created."""
    if access.sees_every_conversation:
        return Conversation.objects.all()
    if access.api_key_id:
        return Conversation.objects.filter(api_key_id=access.api_key_id)
    return Conversation.objects.none()


@dataclass(frozen=True)
class Activity:
    """Conversations started and turns answered since a moment."""

    since: datetime
    conversations: int
    turns: int


def activity_since(access: Access, *, since: datetime) -> Activity:
    """How many visible conversations started, and how many of their turns were answered, since ``since``."""
    visible = conversations_visible_to(access)
    return Activity(
        since=since,
        conversations=visible.filter(created_at__gte=since).count(),
        turns=AnalysisResult.objects.filter(conversation__in=visible, created_at__gte=since).count(),
    )


def conversation_visible(access: Access, conversation: Conversation) -> bool:
    return access.sees_every_conversation or (
        access.api_key_id is not None and conversation.api_key_id == access.api_key_id
    )


def stored_turn_get(*, analysis_id: int) -> AnalysisResult:
    """An analysed turn with everything its API representation needs, in one query."""
    return AnalysisResult.objects.select_related("output").get(pk=analysis_id)
