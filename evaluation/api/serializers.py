"""Read-only representations of evaluation runs."""

from __future__ import annotations

from rest_framework import serializers

from evaluation.models import EvalCaseResult, EvalRun


class EvalCaseResultSerializer(serializers.ModelSerializer):
    class Meta:
        model = EvalCaseResult
        fields = [
            "case_id",
            "expected",
            "predicted",
            "intent_correct",
            "action_correct",
            "sentiment_correct",
            "flagged",
            "failed",
            "checks",
            "latency_ms",
        ]


class EvalRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = EvalRun
        fields = [
            "id",
            "dataset_name",
            "dataset_hash",
            "brain",
            "model_name",
            "case_count",
            "metrics",
            "prompt_tokens",
            "completion_tokens",
            "cost_usd",
            "degraded_cases",
            "started_at",
            "finished_at",
        ]


class EvalRunDetailSerializer(EvalRunSerializer):
    case_results = EvalCaseResultSerializer(many=True, read_only=True)

    class Meta(EvalRunSerializer.Meta):
        fields = [*EvalRunSerializer.Meta.fields, "case_results"]
