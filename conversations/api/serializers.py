"""Request validation and response shapes for the conversations API."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from conversations.models import ActionableOutput, AnalysisResult, Conversation, Message
from conversations.services import StoredTurn


class MessageInSerializer(serializers.Serializer):
    sender = serializers.ChoiceField(choices=Message.Sender.choices)
    content = serializers.CharField(max_length=settings.MAX_MESSAGE_CHARS, trim_whitespace=True)
    timestamp = serializers.DateTimeField(required=False, allow_null=True)


class ProspectMessageSerializer(MessageInSerializer):
    sender = serializers.ChoiceField(choices=[Message.Sender.PROSPECT], required=False, default="prospect")


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "maxLength": settings.MAX_MESSAGE_CHARS},
            {
                "type": "object",
                "properties": {
                    "sender": {"type": "string", "enum": ["prospect"]},
                    "content": {"type": "string", "maxLength": settings.MAX_MESSAGE_CHARS},
                    "timestamp": {"type": "string", "format": "date-time"},
                },
                "required": ["content"],
            },
        ]
    }
)
class CurrentMessageField(serializers.Field):
    """The current message: plain text, or an object ``{sender, content, timestamp}``."""

    default_error_messages = {
        "invalid": "Expected a string or an object with 'content'.",
        "blank": "This field may not be blank.",
        "max_length": "Ensure this field has no more than {max_length} characters.",
    }

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if isinstance(data, str):
            content = data.strip()
            if not content:
                self.fail("blank")
            if len(content) > settings.MAX_MESSAGE_CHARS:
                self.fail("max_length", max_length=settings.MAX_MESSAGE_CHARS)
            return {"sender": "prospect", "content": content, "timestamp": None}
        if isinstance(data, dict):
            nested = ProspectMessageSerializer(data=data)
            if not nested.is_valid():
                raise serializers.ValidationError(nested.errors)
            return dict(nested.validated_data)
        self.fail("invalid")
        raise AssertionError("unreachable")

    def to_representation(self, value: Any) -> Any:
        return value


class ProcessMessageSerializer(serializers.Serializer):
    conversation_history = MessageInSerializer(
        many=True, required=False, max_length=settings.MAX_HISTORY_MESSAGES
    )
    current_prospect_message = CurrentMessageField()
    prospect_id = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=64)
    conversation_id = serializers.IntegerField(required=False, allow_null=True, min_value=1)

    def validate_conversation_id(self, value: int | None) -> int | None:
        if value is not None and not Conversation.objects.filter(pk=value).exists():
            raise serializers.ValidationError(f"Conversation {value} does not exist.")
        return value

    def validate_prospect_id(self, value: str | None) -> str | None:
        return value.strip() or None if value else None


class ConversationTurnSerializer(serializers.Serializer):
    """A new prospect message in a stored conversation (its stored history is the context)."""

    current_prospect_message = CurrentMessageField()


class MessageSerializer(serializers.ModelSerializer):
    class Meta:
        model = Message
        fields = ["id", "sender", "content", "timestamp", "created_at"]


class ActionableOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = ActionableOutput
        fields = [
            "response_text",
            "action_type",
            "next_steps",
            "tool_usage_log",
            "knowledge_citations",
            "reasoning_trace",
            "degraded",
            "unsupported_claims",
            "created_at",
        ]


class TurnSerializer(serializers.ModelSerializer):
    """One analysed prospect message with the agent's output."""

    output = ActionableOutputSerializer(read_only=True)

    class Meta:
        model = AnalysisResult
        fields = [
            "id",
            "message",
            "intent",
            "language",
            "sentiment",
            "entities",
            "key_points",
            "priority",
            "action_required",
            "confidence",
            "brain",
            "model_name",
            "latency_ms",
            "prompt_tokens",
            "completion_tokens",
            "prompt_version",
            "cost_usd",
            "created_at",
            "output",
        ]


class ConversationListSerializer(serializers.ModelSerializer):
    message_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Conversation
        fields = [
            "id",
            "topic",
            "external_prospect_id",
            "prospect",
            "message_count",
            "created_at",
            "updated_at",
        ]


class ConversationDetailSerializer(ConversationListSerializer):
    messages = MessageSerializer(many=True, read_only=True)
    turns = TurnSerializer(many=True, read_only=True, source="analyses")

    class Meta(ConversationListSerializer.Meta):
        fields = [*ConversationListSerializer.Meta.fields, "messages", "turns"]


def turn_response(stored: StoredTurn) -> dict[str, Any]:
    """The turn API's response body (see SPEC.md, "The turn API")."""
    result = stored.result
    return {
        "conversation_id": stored.conversation.pk,
        "message_id": stored.message.pk,
        "analysis_id": stored.analysis.pk,
        "classification": {
            "intent": result.intent,
            "sentiment": result.sentiment,
            "entities": result.entities,
            "key_points": result.key_points,
            "priority": result.priority,
            "language": result.language,
        },
        "questions": result.questions,
        "suggested_response_draft": result.draft,
        "internal_next_steps": [step.as_dict() for step in result.next_steps],
        "knowledge_base_results": [
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
        ],
        "crm_data": result.prospect.as_dict() if result.prospect else None,
        "tool_usage_log": [call.as_dict() for call in result.tool_log],
        "confidence_score": result.confidence,
        "reasoning_trace": result.reasoning_trace,
        "unsupported_claims": result.unsupported_claims,
        "brain": result.brain,
        "model": result.model_name,
        "prompt_version": result.prompt_version,
        "usage": {
            "prompt_tokens": result.prompt_tokens,
            "completion_tokens": result.completion_tokens,
            "cost_usd": round(result.cost_usd, 6),
        },
        "degraded": result.degraded,
        "latency_ms": round(result.latency_ms, 2),
    }
