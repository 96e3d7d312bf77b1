"""Read-only representations of evaluation runs."""

from __future__ import annotations

from rest_framework import serializers

from evaluation.models import EvalCaseResult, EvalRun
from salesagent.api_fields import StrictDateTimeField


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


class ReviewMetricsQuerySerializer(serializers.Serializer):
    since = StrictDateTimeField(
        required=False, help_text="Count only drafts created and decisions made at or after this time."
    )


class ReviewMetricsSerializer(serializers.Serializer):
    """How reviewers treated the agent's drafts: shares are of decided drafts (null before any)."""

    drafts = serializers.IntegerField()
    undecided = serializers.IntegerField()
    decided = serializers.IntegerField()
    approved = serializers.IntegerField()
    approved_unedited = serializers.IntegerField()
    approved_small_edits = serializers.IntegerField(
        help_text="Approved with an edit of at most small_edit_threshold (normalised distance)."
    )
    rejected = serializers.IntegerField()
    small_edit_threshold = serializers.FloatField()
    sent_unedited_share = serializers.FloatField(allow_null=True)
    sent_with_small_edits_share = serializers.FloatField(allow_null=True)
    sent_within_threshold_share = serializers.FloatField(
        allow_null=True, help_text="Sent unedited or with small edits."
    )
    rejection_rate = serializers.FloatField(allow_null=True)
    mean_edit_ratio = serializers.FloatField(allow_null=True, help_text="Over approved drafts.")
    since = serializers.DateTimeField(allow_null=True)
