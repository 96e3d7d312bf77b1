"""Admin for conversations: each one shows its messages and, per analysed turn, what the agent proposed."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, TypedDict

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from conversations.forms import IntentAdminForm
from conversations.intents import intent_save
from conversations.models import (
    ActionableOutput,
    AnalysisResult,
    Conversation,
    Intent,
    Message,
    TurnRequest,
)

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


def _pretty_json(value: object) -> str:
    return format_html("<pre style='white-space: pre-wrap'>{}</pre>", json.dumps(value, indent=2))


class _MessageTotal(TypedDict):
    message_total: int


class ReadOnlyInlineMixin:
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class MessageInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = Message
    fields = ("timestamp", "sender", "content")
    readonly_fields = fields
    ordering = ("timestamp", "id")


class AnalysisResultInline(ReadOnlyInlineMixin, admin.StackedInline):
    model = AnalysisResult
    fields = (
        ("intent", "sentiment", "priority", "confidence"),
        ("brain", "model_name", "latency_ms", "degraded"),
        "analysed_message",
        "entities",
        "key_points",
        "response_text",
        "next_steps",
        "tool_usage",
        "reasoning_trace",
    )
    # Everything shown is read-only: the flattened field layout.
    readonly_fields = tuple(
        name for entry in fields for name in (entry if isinstance(entry, tuple) else (entry,))
    )
    ordering = ("created_at",)
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[AnalysisResult]:
        return super().get_queryset(request).select_related("message", "output")

    @staticmethod
    def _output(obj: AnalysisResult) -> ActionableOutput | None:
        return getattr(obj, "output", None)

    @admin.display(description="message")
    def analysed_message(self, obj: AnalysisResult) -> str:
        return obj.message.content

    @admin.display(description="reply draft")
    def response_text(self, obj: AnalysisResult) -> str:
        output = self._output(obj)
        return output.response_text if output else ""

    @admin.display(description="next steps")
    def next_steps(self, obj: AnalysisResult) -> str:
        output = self._output(obj)
        return _pretty_json(output.next_steps) if output else ""

    @admin.display(description="tool usage")
    def tool_usage(self, obj: AnalysisResult) -> str:
        output = self._output(obj)
        return _pretty_json(output.tool_usage_log) if output else ""

    @admin.display(description="reasoning")
    def reasoning_trace(self, obj: AnalysisResult) -> str:
        output = self._output(obj)
        return (
            format_html("<pre style='white-space: pre-wrap'>{}</pre>", output.reasoning_trace)
            if output
            else ""
        )

    @admin.display(description="degraded", boolean=True)
    def degraded(self, obj: AnalysisResult) -> bool:
        output = self._output(obj)
        return bool(output and output.degraded)


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ("id", "topic", "external_prospect_id", "prospect", "message_count", "updated_at")
    list_filter = ("created_at", "updated_at")
    list_select_related = ("prospect",)
    search_fields = ("topic", "external_prospect_id", "prospect__name", "messages__content")
    readonly_fields = ("created_at", "updated_at")
    raw_id_fields = ("prospect",)
    date_hierarchy = "updated_at"
    inlines = [MessageInline, AnalysisResultInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Conversation]:
        return super().get_queryset(request).annotate(message_total=Count("messages", distinct=True))

    def get_search_results(self, request, queryset, search_term):
        queryset, _ = super().get_search_results(request, queryset, search_term)
        # Searching message text joins messages; distinct keeps one row per conversation.
        return queryset.distinct(), False

    @admin.display(description="messages", ordering="message_total")
    def message_count(self, obj: WithAnnotations[Conversation, _MessageTotal]) -> int:
        return obj.message_total


class ActionableOutputInline(admin.StackedInline):
    model = ActionableOutput
    can_delete = False
    fields = (
        "action_type",
        "degraded",
        "response_text",
        "unsupported_claims",
        "next_steps_json",
        "tool_usage_json",
        "citations_json",
        "crm_json",
        "reasoning_trace",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description="next steps")
    def next_steps_json(self, obj: ActionableOutput) -> str:
        return _pretty_json(obj.next_steps)

    @admin.display(description="tool usage")
    def tool_usage_json(self, obj: ActionableOutput) -> str:
        return _pretty_json(obj.tool_usage_log)

    @admin.display(description="knowledge cited")
    def citations_json(self, obj: ActionableOutput) -> str:
        return _pretty_json(obj.knowledge_citations)

    @admin.display(description="CRM data")
    def crm_json(self, obj: ActionableOutput) -> str:
        return _pretty_json(obj.crm_snapshot)


@admin.register(AnalysisResult)
class AnalysisResultAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "conversation",
        "intent",
        "sentiment",
        "priority",
        "confidence",
        "primary_action",
        "brain",
        "latency_ms",
    )
    list_filter = ("intent", "sentiment", "priority", "brain", "output__degraded")
    list_select_related = ("conversation", "output")
    search_fields = ("message__content", "intent", "conversation__external_prospect_id")
    date_hierarchy = "created_at"
    readonly_fields = (
        "conversation",
        "message",
        "intent",
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
    )
    inlines = [ActionableOutputInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AnalysisResult | None = None) -> bool:
        return False

    @admin.display(description="primary action", ordering="output__action_type")
    def primary_action(self, obj: AnalysisResult) -> str:
        output = getattr(obj, "output", None)
        return output.action_type if output else ""


@admin.register(TurnRequest)
class TurnRequestAdmin(admin.ModelAdmin):
    """Idempotency keys clients sent with turn requests, and whether each was answered."""

    list_display = (
        "key",
        "user",
        "api_key",
        "implicit",
        "conversation",
        "answered",
        "attempts",
        "created_at",
    )
    list_select_related = ("user", "api_key", "conversation")
    list_filter = ("implicit",)
    search_fields = ("key", "user__username")
    readonly_fields = (
        "user",
        "api_key",
        "key",
        "implicit",
        "request_hash",
        "conversation",
        "message",
        "analysis",
        "attempts",
        "last_error",
        "created_at",
        "updated_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="answered", boolean=True)
    def answered(self, obj: TurnRequest) -> bool:
        return obj.analysis_id is not None


@admin.register(Intent)
class IntentAdmin(admin.ModelAdmin):
    form = IntentAdminForm
    list_display = (
        "name",
        "primary_action",
        "priority_class",
        "updates_crm",
        "schedules_follow_up",
        "answer_source",
        "example_count",
        "is_active",
        "updated_at",
    )
    list_filter = ("is_active", "primary_action", "priority_class", "answer_source")
    search_fields = ("name", "description", "primary_action")

    def save_model(self, request: HttpRequest, obj: Intent, form: object, change: bool) -> None:
        # Through the service, so the examples' stored embeddings follow the edit.
        intent_save(intent=obj)

    @admin.display(description="examples")
    def example_count(self, obj: Intent) -> int:
        return len(obj.examples or [])
