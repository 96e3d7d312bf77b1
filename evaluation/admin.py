"""Admin for evaluation runs: metrics at a glance, per-case expected vs predicted."""

from __future__ import annotations

import json

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from evaluation.models import EvalCaseResult, EvalRun


def _pretty_json(value: object) -> str:
    return format_html("<pre style='white-space: pre-wrap'>{}</pre>", json.dumps(value, indent=2))


class EvalCaseResultInline(admin.TabularInline):
    model = EvalCaseResult
    extra = 0
    can_delete = False
    fields = (
        "case_id",
        "expected_intent",
        "predicted_intent",
        "intent_correct",
        "action_correct",
        "sentiment_correct",
        "flagged",
        "failed",
        "latency_ms",
    )
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="expected intent")
    def expected_intent(self, obj: EvalCaseResult) -> str:
        return obj.expected.get("intent", "")

    @admin.display(description="predicted intent")
    def predicted_intent(self, obj: EvalCaseResult) -> str:
        return obj.predicted.get("intent", "")


@admin.register(EvalRun)
class EvalRunAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "dataset_name",
        "brain",
        "case_count",
        "intent_accuracy",
        "action_accuracy",
        "latency_p50",
        "cost_usd",
        "started_at",
        "report_link",
    )
    list_filter = ("dataset_name", "brain")
    date_hierarchy = "started_at"
    readonly_fields = (
        "dataset_name",
        "dataset_hash",
        "brain",
        "model_name",
        "case_count",
        "prompt_tokens",
        "completion_tokens",
        "cost_usd",
        "degraded_cases",
        "started_at",
        "finished_at",
        "metrics_table",
    )
    exclude = ("metrics",)
    inlines = [EvalCaseResultInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="intent acc.")
    def intent_accuracy(self, obj: EvalRun):
        return obj.metrics.get("intent_accuracy")

    @admin.display(description="action acc.")
    def action_accuracy(self, obj: EvalRun):
        return obj.metrics.get("action_accuracy")

    @admin.display(description="p50 ms")
    def latency_p50(self, obj: EvalRun):
        return obj.metrics.get("latency_p50_ms")

    @admin.display(description="report")
    def report_link(self, obj: EvalRun) -> str:
        return format_html('<a href="{}">report</a>', reverse("evaluation:run-detail", args=[obj.pk]))

    @admin.display(description="metrics")
    def metrics_table(self, obj: EvalRun) -> str:
        return _pretty_json(obj.metrics)


@admin.register(EvalCaseResult)
class EvalCaseResultAdmin(admin.ModelAdmin):
    list_display = (
        "case_id",
        "run",
        "intent_correct",
        "action_correct",
        "sentiment_correct",
        "flagged",
        "failed",
        "latency_ms",
    )
    list_filter = (
        "intent_correct",
        "action_correct",
        "sentiment_correct",
        "flagged",
        "failed",
        "run__dataset_name",
    )
    list_select_related = ("run",)
    search_fields = ("case_id",)
    readonly_fields = (
        "run",
        "case_id",
        "intent_correct",
        "action_correct",
        "sentiment_correct",
        "flagged",
        "failed",
        "latency_ms",
        "expected_json",
        "predicted_json",
        "checks_json",
    )
    exclude = ("expected", "predicted", "checks")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="expected")
    def expected_json(self, obj: EvalCaseResult) -> str:
        return _pretty_json(obj.expected)

    @admin.display(description="predicted")
    def predicted_json(self, obj: EvalCaseResult) -> str:
        return _pretty_json(obj.predicted)

    @admin.display(description="checks")
    def checks_json(self, obj: EvalCaseResult) -> str:
        return _pretty_json(obj.checks)
