"""Request validation and response shapes for the conversations API."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from conversations.models import ActionableOutput, AnalysisResult, Conversation, Message
from salesagent.api_fields import MAX_OBJECT_ID, StrictCharField
from salesagent.parsers import text_error
from salesagent.schema import VISIBLE_TEXT

# Database ids are bigints: larger numbers are not ids (and would overflow the query).


def not_in_the_future(value: datetime) -> None:
    """Timestamps may run ahead of ours by MAX_CLOCK_SKEW_SECONDS (clients' clocks drift), no more."""
    if value > timezone.now() + timedelta(seconds=settings.MAX_CLOCK_SKEW_SECONDS):
        raise serializers.ValidationError(
            f"Timestamp is in the future (more than {settings.MAX_CLOCK_SKEW_SECONDS} s ahead of the server)."
        )


class MessageInSerializer(serializers.Serializer):
    sender = serializers.ChoiceField(choices=Message.Sender.choices)
    content = StrictCharField(max_length=settings.MAX_MESSAGE_CHARS, trim_whitespace=True)
    timestamp = serializers.DateTimeField(required=False, allow_null=True, validators=[not_in_the_future])


class ProspectMessageSerializer(MessageInSerializer):
    sender = serializers.ChoiceField(choices=[Message.Sender.PROSPECT], required=False, default="prospect")


@extend_schema_field(
    {
        "oneOf": [
            {
                "type": "string",
                "minLength": 1,
                "maxLength": settings.MAX_MESSAGE_CHARS,
                "pattern": VISIBLE_TEXT,
            },
            {
                "type": "object",
                "properties": {
                    "sender": {"type": "string", "enum": ["prospect"]},
                    "content": {
                        "type": "string",
                        "minLength": 1,
                        "maxLength": settings.MAX_MESSAGE_CHARS,
                        "pattern": VISIBLE_TEXT,
                    },
                    "timestamp": {"type": "string", "format": "date-time", "nullable": True},
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
            problem = text_error(data)
            if problem:
                raise serializers.ValidationError(problem)
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


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "maxLength": 64},
            {"type": "integer", "minimum": 0, "maximum": MAX_OBJECT_ID},
        ],
        "nullable": True,
    }
)
class ProspectIdField(serializers.CharField):
    """A CRM id as sent: text, or a whole number (clients that number their prospects send 5)."""

    def to_internal_value(self, data: Any) -> str:
        if isinstance(data, bool) or not isinstance(data, str | int):
            self.fail("invalid")
        if isinstance(data, int) and not 0 <= data <= MAX_OBJECT_ID:
            self.fail("invalid")
        return super().to_internal_value(str(data))


class ProcessMessageSerializer(serializers.Serializer):
    conversation_history = MessageInSerializer(  # type: ignore[call-arg]  # many=True: a ListSerializer
        many=True, required=False, max_length=settings.MAX_HISTORY_MESSAGES
    )
    current_prospect_message = CurrentMessageField()
    prospect_id = ProspectIdField(required=False, allow_null=True, allow_blank=True, max_length=64)
    conversation_id = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=MAX_OBJECT_ID,
        help_text="Continue this stored conversation (404 when it does not exist or the key may not see it).",
    )

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
    """One analysed prospect message with the agent's output (conversation pages)."""

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
            "reader_version",
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
    """A conversation with its latest ``CONVERSATION_DETAIL_MESSAGES`` messages and their turns, oldest
    first; ``.../messages`` and ``.../turns`` page through all of them."""

    messages = serializers.SerializerMethodField()
    turns = serializers.SerializerMethodField()
    messages_truncated = serializers.SerializerMethodField()

    class Meta(ConversationListSerializer.Meta):
        fields = [*ConversationListSerializer.Meta.fields, "messages", "turns", "messages_truncated"]

    @extend_schema_field(MessageSerializer(many=True))
    # `conversation` carries the view's annotation and prefetches (message_count, recent_*).
    def get_messages(self, conversation: Any) -> Any:
        return MessageSerializer(reversed(conversation.recent_messages), many=True).data

    @extend_schema_field(TurnSerializer(many=True))
    def get_turns(self, conversation: Any) -> Any:
        return TurnSerializer(reversed(conversation.recent_turns), many=True).data

    def get_messages_truncated(self, conversation: Any) -> bool:
        return conversation.message_count > len(conversation.recent_messages)


class ClassificationSerializer(serializers.Serializer):
    intent = serializers.CharField()
    intents = serializers.ListField(
        child=serializers.CharField(),
        help_text="Every intent the message touches, the primary one (`intent`) first.",
    )
    sentiment = serializers.CharField()
    entities = serializers.ListField(child=serializers.CharField())
    key_points = serializers.ListField(child=serializers.CharField())
    priority = serializers.CharField()
    language = serializers.CharField(help_text="ISO 639-1 code of the language the prospect wrote in.")


class NextStepSerializer(serializers.Serializer):
    action = serializers.CharField()
    details = serializers.DictField(help_text="Always has 'reason'; some actions add more.")


class KnowledgeResultSerializer(serializers.Serializer):
    document = serializers.CharField()
    canonical_document = serializers.CharField(help_text="The English document this one translates.")
    language = serializers.CharField()
    chunk_id = serializers.IntegerField()
    heading_path = serializers.CharField(allow_blank=True)
    text = serializers.CharField()
    score = serializers.FloatField()
    cited = serializers.BooleanField()


class CrmRecordSerializer(serializers.Serializer):
    prospect_id = serializers.CharField()
    name = serializers.CharField(allow_blank=True)
    email = serializers.CharField(allow_blank=True)
    company = serializers.CharField(allow_blank=True)
    industry = serializers.CharField(allow_blank=True)
    employees = serializers.IntegerField(allow_null=True)
    lead_score = serializers.IntegerField()
    stage = serializers.CharField(allow_blank=True)
    technologies = serializers.ListField(child=serializers.CharField())
    notes = serializers.CharField(allow_blank=True)
    last_contacted_at = serializers.CharField(allow_null=True)


class ToolCallSerializer(serializers.Serializer):
    tool = serializers.CharField()
    input = serializers.DictField()
    ok = serializers.BooleanField()
    latency_ms = serializers.FloatField()
    output_summary = serializers.CharField(allow_blank=True)
    error = serializers.CharField(required=False, help_text="Present when the call failed.")


class UsageSerializer(serializers.Serializer):
    prompt_tokens = serializers.IntegerField()
    completion_tokens = serializers.IntegerField()
    cost_usd = serializers.FloatField()


class TurnOutputSerializer(serializers.Serializer):
    """The turn as the API returns it (README, "The turn"), rendered from the stored rows: the same
    body for a fresh answer, an idempotent replay, and the staff playground."""

    conversation_id = serializers.IntegerField()
    message_id = serializers.IntegerField()
    analysis_id = serializers.IntegerField()
    classification = ClassificationSerializer()
    questions = serializers.ListField(
        child=serializers.CharField(), help_text="The questions and requests the message was split into."
    )
    suggested_response_draft = serializers.CharField(allow_blank=True)
    internal_next_steps = NextStepSerializer(many=True)
    knowledge_base_results = KnowledgeResultSerializer(many=True)
    crm_data = CrmRecordSerializer(allow_null=True)
    tool_usage_log = ToolCallSerializer(many=True)
    confidence_score = serializers.FloatField()
    reasoning_trace = serializers.CharField(allow_blank=True)
    unsupported_claims = serializers.ListField(child=serializers.CharField())
    brain = serializers.CharField()
    model = serializers.CharField(allow_blank=True)
    reader_version = serializers.IntegerField(
        allow_null=True, help_text="The version of the trained reader that read the message (null: none yet)."
    )
    prompt_version = serializers.CharField(allow_blank=True)
    usage = UsageSerializer()
    degraded = serializers.BooleanField()
    latency_ms = serializers.FloatField()

    def to_representation(self, instance: AnalysisResult) -> dict[str, Any]:
        analysis, output = instance, instance.output
        return {
            "conversation_id": analysis.conversation_id,
            "message_id": analysis.message_id,
            "analysis_id": analysis.pk,
            "classification": {
                "intent": analysis.intent,
                "intents": analysis.intents or [analysis.intent],
                "sentiment": analysis.sentiment,
                "entities": analysis.entities,
                "key_points": analysis.key_points,
                "priority": analysis.priority,
                "language": analysis.language,
            },
            "questions": output.questions,
            "suggested_response_draft": output.response_text,
            "internal_next_steps": output.next_steps,
            "knowledge_base_results": output.knowledge_results,
            "crm_data": output.crm_snapshot,
            "tool_usage_log": output.tool_usage_log,
            "confidence_score": analysis.confidence,
            "reasoning_trace": output.reasoning_trace,
            "unsupported_claims": output.unsupported_claims,
            "brain": analysis.brain,
            "model": analysis.model_name,
            "reader_version": analysis.reader_version,
            "prompt_version": analysis.prompt_version,
            "usage": {
                "prompt_tokens": analysis.prompt_tokens,
                "completion_tokens": analysis.completion_tokens,
                "cost_usd": float(analysis.cost_usd),
            },
            "degraded": output.degraded,
            "latency_ms": analysis.latency_ms,
        }
