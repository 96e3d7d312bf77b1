"""Reads for conversations that depend on who asks: a key without conversations:read sees its own only."""

from __future__ import annotations

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


def conversation_visible(access: Access, conversation: Conversation) -> bool:
    return access.sees_every_conversation or (
        access.api_key_id is not None and conversation.api_key_id == access.api_key_id
    )


def stored_turn_get(*, analysis_id: int) -> AnalysisResult:
    """An analysed turn with everything its API representation needs, in one query."""
    return AnalysisResult.objects.select_related("output").get(pk=analysis_id)
