"""Request validation and response shapes for the reviews API."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from rest_framework import serializers

from conversations.api.serializers import MessageSerializer
from conversations.models import ActionableOutput
from reviews.models import Delivery, Feedback, ReviewDecision
from reviews.selectors import DraftState, conversation_before, flag_reasons
from salesagent.api_fields import StrictCharField


class DeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = Delivery
        fields = ["id", "state", "event", "attempt_count", "last_error", "created_at", "delivered_at"]


class ReviewDecisionSerializer(serializers.ModelSerializer):
    decided_by = serializers.SerializerMethodField()
    delivery = serializers.SerializerMethodField()

    class Meta:
        model = ReviewDecision
        fields = [
            "state",
            "decided_by",
            "api_key",
            "decided_at",
            "sent_text",
            "edit_distance",
            "edit_ratio",
            "rejection_reason",
            "message",
            "delivery",
        ]

    def get_decided_by(self, decision: ReviewDecision) -> str | None:
        return decision.decided_by.get_username() if decision.decided_by else None

    def get_delivery(self, decision: ReviewDecision) -> dict | None:
        delivery = getattr(decision, "delivery", None)
        return DeliverySerializer(delivery).data if delivery else None


class DraftSerializer(serializers.ModelSerializer):
    """A draft as the queue lists it: what was asked, what the agent proposed, and why it needs a look."""

    conversation_id = serializers.IntegerField(source="analysis.conversation_id")
    message_id = serializers.IntegerField(source="analysis.message_id")
    prospect_id = serializers.CharField(source="analysis.conversation.external_prospect_id")
    prospect_name = serializers.SerializerMethodField()
    prospect_message = serializers.CharField(source="analysis.message.content")
    intent = serializers.CharField(source="analysis.intent")
    sentiment = serializers.CharField(source="analysis.sentiment")
    priority = serializers.CharField(source="analysis.priority")
    confidence = serializers.FloatField(source="analysis.confidence")
    state = serializers.ChoiceField(choices=DraftState.CHOICES)
    flagged = serializers.BooleanField()
    low_confidence = serializers.BooleanField()
    needs_attention = serializers.BooleanField()
    flag_reasons = serializers.SerializerMethodField()
    draft = serializers.CharField(source="response_text")
    age_seconds = serializers.SerializerMethodField()
    decision = serializers.SerializerMethodField()

    class Meta:
        model = ActionableOutput
        fields = [
            "id",
            "conversation_id",
            "message_id",
            "prospect_id",
            "prospect_name",
            "prospect_message",
            "intent",
            "sentiment",
            "priority",
            "confidence",
            "degraded",
            "flagged",
            "low_confidence",
            "needs_attention",
            "flag_reasons",
            "state",
            "draft",
            "action_type",
            "next_steps",
            "created_at",
            "age_seconds",
            "decision",
        ]

    def get_prospect_name(self, draft: ActionableOutput) -> str | None:
        prospect = draft.analysis.conversation.prospect
        return prospect.name if prospect else None

    def get_flag_reasons(self, draft: ActionableOutput) -> list[str]:
        return flag_reasons(draft)

    def get_age_seconds(self, draft: ActionableOutput) -> int:
        return int((timezone.now() - draft.created_at).total_seconds())

    def get_decision(self, draft: ActionableOutput) -> dict | None:
        decision = getattr(draft, "review", None)
        return ReviewDecisionSerializer(decision).data if decision else None


class FeedbackSerializer(serializers.ModelSerializer):
    class Meta:
        model = Feedback
        fields = ["id", "output", "reason", "note", "corrected_text", "created_at"]


class DraftDetailSerializer(DraftSerializer):
    """One draft with its context: the conversation up to the message it answers, tool calls, CRM data."""

    conversation = serializers.SerializerMethodField()
    feedback = FeedbackSerializer(many=True, read_only=True)

    class Meta(DraftSerializer.Meta):
        fields = [
            *DraftSerializer.Meta.fields,
            "tool_usage_log",
            "crm_snapshot",
            "reasoning_trace",
            "conversation",
            "feedback",
        ]

    def get_conversation(self, draft: ActionableOutput) -> list[dict]:
        return list(MessageSerializer(conversation_before(draft), many=True).data)


class ApproveSerializer(serializers.Serializer):
    text = StrictCharField(
        required=False,
        max_length=settings.MAX_MESSAGE_CHARS,
        help_text="The reply to send, when edited; without it the draft is sent as written.",
    )


class RejectSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=2000, help_text="Why the draft must not be sent.")


class FeedbackInSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=Feedback.Reason.choices)
    note = StrictCharField(required=False, allow_blank=True, max_length=2000, default="")
    corrected_text = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=settings.MAX_MESSAGE_CHARS,
        default="",
        help_text="What the reply should have said (exported as the expected response).",
    )
