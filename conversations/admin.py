"""Admin for conversations: each one shows its messages in order, each analysis beside the message it
answers, with next steps, tool calls and the CRM record as tables (``conversations/turn_display.py``).
The list shows the latest turn's intent and priority and whether it needs a person's review."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

from django.conf import settings
from django.contrib import admin
from django.db.models import BooleanField, Count, ExpressionWrapper, OuterRef, Q, QuerySet, Subquery
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.safestring import SafeString

from conversations.forms import IntentAdminForm
from conversations.intents import intent_save
from conversations.models import (
    Action,
    ActionableOutput,
    AnalysisResult,
    Conversation,
    Intent,
    ReaderModel,
    TrainingExample,
    TurnRequest,
)
from conversations.reader.selectors import reader_quality
from conversations.reader.services import training_examples_review
from conversations.turn_display import conversation_timeline, turn_view, yes_no

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


def _pre(value: str) -> str:
    return format_html("<pre style='white-space: pre-wrap'>{}</pre>", value)


class _ConversationAnnotations(TypedDict):
    message_total: int
    latest_intent: str | None
    latest_priority: str | None
    latest_needs_review: bool | None


def _latest_turn_needs_review() -> ExpressionWrapper:
    # The same signals the review queue puts first (reviews/selectors.py): flagged, low confidence,
    # degraded or negative.
    return ExpressionWrapper(
        Q(output__next_steps__contains=[{"action": Action.FLAG_FOR_HUMAN_REVIEW.value}])
        | Q(confidence__lt=settings.HUMAN_REVIEW_CONFIDENCE_THRESHOLD)
        | Q(output__degraded=True)
        | Q(sentiment="negative"),
        output_field=BooleanField(),
    )


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "topic",
        "external_prospect_id",
        "prospect",
        "latest_intent",
        "latest_priority",
        "needs_review",
        "message_count",
        "updated_at",
    )
    list_filter = ("analyses__intent", "analyses__priority", "created_at", "updated_at")
    list_select_related = ("prospect",)
    search_fields = ("topic", "external_prospect_id", "prospect__name", "messages__content")
    fields = ("topic", "prospect", "external_prospect_id", "api_key", "created_at", "updated_at", "timeline")
    readonly_fields = ("api_key", "created_at", "updated_at", "timeline")
    raw_id_fields = ("prospect",)
    date_hierarchy = "updated_at"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Conversation]:
        latest = AnalysisResult.objects.filter(conversation=OuterRef("pk")).order_by("-created_at", "-id")
        return (
            super()
            .get_queryset(request)
            .annotate(
                message_total=Subquery(
                    Conversation.objects.filter(pk=OuterRef("pk"))
                    .annotate(total=Count("messages"))
                    .values("total")[:1]
                ),
                latest_intent=Subquery(latest.values("intent")[:1]),
                latest_priority=Subquery(latest.values("priority")[:1]),
                latest_needs_review=Subquery(
                    latest.annotate(needs=_latest_turn_needs_review()).values("needs")[:1]
                ),
            )
        )

    def get_search_results(self, request, queryset, search_term):
        queryset, _ = super().get_search_results(request, queryset, search_term)
        # Searching message text (or filtering by a turn's intent) joins rows; distinct keeps one
        # row per conversation.
        return queryset.distinct(), False

    @admin.display(description="messages", ordering="message_total")
    def message_count(self, obj: WithAnnotations[Conversation, _ConversationAnnotations]) -> int:
        return obj.message_total

    @admin.display(description="intent", ordering="latest_intent")
    def latest_intent(self, obj: WithAnnotations[Conversation, _ConversationAnnotations]) -> str:
        return obj.latest_intent or "—"

    @admin.display(description="priority", ordering="latest_priority")
    def latest_priority(self, obj: WithAnnotations[Conversation, _ConversationAnnotations]) -> str:
        return obj.latest_priority or "—"

    @admin.display(description="needs review", ordering="latest_needs_review")
    def needs_review(self, obj: WithAnnotations[Conversation, _ConversationAnnotations]) -> str:
        return yes_no(obj.latest_needs_review)

    @admin.display(description="conversation")
    def timeline(self, obj: Conversation) -> SafeString:
        if obj.pk is None:
            return SafeString("")
        return render_to_string(
            "admin/conversations/_timeline.html", {"timeline": conversation_timeline(obj)}
        )


class ActionableOutputInline(admin.StackedInline):
    model = ActionableOutput
    can_delete = False
    fields = (
        "action_type",
        "degraded_text",
        "response_text",
        "unsupported_claims",
        "tables",
        "citations",
        "reasoning",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description="degraded")
    def degraded_text(self, obj: ActionableOutput) -> str:
        return yes_no(obj.degraded)

    @admin.display(description="next steps, tool calls and CRM record")
    def tables(self, obj: ActionableOutput) -> SafeString:
        return render_to_string("admin/conversations/_turn_tables.html", {"turn": turn_view(obj.analysis)})

    @admin.display(description="reasoning")
    def reasoning(self, obj: ActionableOutput) -> str:
        return _pre(obj.reasoning_trace)

    @admin.display(description="knowledge cited")
    def citations(self, obj: ActionableOutput) -> str:
        return ", ".join(
            f"{item.get('document')} #{item.get('chunk_id')} ({item.get('score')})"
            for item in obj.knowledge_citations or []
            if isinstance(item, dict)
        )


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
        "action_required_text",
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

    @admin.display(description="action required")
    def action_required_text(self, obj: AnalysisResult) -> str:
        return yes_no(obj.action_required)

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

    @admin.display(description="answered")
    def answered(self, obj: TurnRequest) -> str:
        return yes_no(obj.analysis_id is not None)


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
        # Through the service, so the examples' stored embeddings follow the edit (and the reader retrains).
        intent_save(intent=obj)

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        # Which intents the trained reader confuses, next to the intents themselves.
        return super().changelist_view(request, {**(extra_context or {}), "reader_quality": reader_quality()})

    @admin.display(description="examples")
    def example_count(self, obj: Intent) -> int:
        return len(obj.examples or [])


@admin.register(TrainingExample)
class TrainingExampleAdmin(admin.ModelAdmin):
    """Out-of-scope messages, risk examples and reviewers' corrections; candidates count once accepted
    (in bulk)."""

    list_display = (
        "short_text",
        "kind",
        "intent",
        "risk",
        "language",
        "status",
        "source",
        "analysis",
        "created_at",
    )
    list_filter = ("status", "kind", "risk", "source", "language", "intent")
    search_fields = ("text",)
    list_select_related = ("intent", "analysis")
    fields = ("text", "language", "kind", "intent", "risk", "status", "source", "analysis", "created_at")
    readonly_fields = ("analysis", "created_at")
    raw_id_fields = ("analysis",)
    actions = ("accept", "reject")

    @admin.display(description="text")
    def short_text(self, obj: TrainingExample) -> str:
        return obj.text if len(obj.text) <= 90 else obj.text[:87] + "..."

    def save_model(self, request: HttpRequest, obj: TrainingExample, form: object, change: bool) -> None:
        training_examples_review([obj], status=obj.status, saving=True)

    @admin.action(description="Accept the selected examples (the reader retrains with them)")
    def accept(self, request: HttpRequest, queryset: QuerySet[TrainingExample]) -> None:
        changed = training_examples_review(list(queryset), status=TrainingExample.Status.ACCEPTED)
        self.message_user(request, f"{changed} example(s) accepted; the reader retrains with them.")

    @admin.action(description="Reject the selected examples")
    def reject(self, request: HttpRequest, queryset: QuerySet[TrainingExample]) -> None:
        changed = training_examples_review(list(queryset), status=TrainingExample.Status.REJECTED)
        self.message_user(request, f"{changed} example(s) rejected.")


@admin.register(ReaderModel)
class ReaderModelAdmin(admin.ModelAdmin):
    """Trained readers, newest first: what each learnt from and how it scored (read-only)."""

    list_display = (
        "version",
        "is_active",
        "accuracy",
        "calibration_error",
        "examples",
        "training_seconds",
        "created_at",
    )
    fields = (
        "version",
        "is_active",
        "embedding_model",
        "example_counts",
        "training_seconds",
        "created_at",
        "metrics_text",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ReaderModel | None = None) -> bool:
        return False

    @admin.display(description="accuracy (cross-validated)")
    def accuracy(self, obj: ReaderModel) -> object:
        return obj.metrics.get("intent", {}).get("accuracy")

    @admin.display(description="calibration error")
    def calibration_error(self, obj: ReaderModel) -> object:
        return obj.metrics.get("intent", {}).get("ece")

    @admin.display(description="examples")
    def examples(self, obj: ReaderModel) -> str:
        counts = obj.example_counts
        return f"{counts.get('in_scope', 0)} in scope, {counts.get('out_of_scope', 0)} out of scope"

    @admin.display(description="metrics")
    def metrics_text(self, obj: ReaderModel) -> str:
        import json

        return _pre(json.dumps(obj.metrics, indent=2))
