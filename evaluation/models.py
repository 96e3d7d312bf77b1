"""Stored evaluation runs against golden datasets, so runs can be reviewed and compared."""

from __future__ import annotations

from django.db import models


class EvalRun(models.Model):
    dataset_name = models.CharField(max_length=200)
    dataset_hash = models.CharField(max_length=64)
    brain = models.CharField(max_length=20)
    model_name = models.CharField(max_length=100, blank=True)
    case_count = models.PositiveIntegerField(default=0)
    metrics = models.JSONField(default=dict)
    # Model usage over the scored cases (all zero for the local brain); cost is an estimate from the
    # configured per-token prices.
    prompt_tokens = models.PositiveBigIntegerField(default=0)
    completion_tokens = models.PositiveBigIntegerField(default=0)
    cost_usd = models.FloatField(default=0.0, help_text="Estimated model cost of the run, in US dollars.")
    degraded_cases = models.PositiveIntegerField(
        default=0, help_text="Cases the local brain answered because the model path failed."
    )
    # Who answered the cases when a model was asked (model vs local fallback, with each fallback's
    # reason and the metrics of each group), so a run's metrics are not read as the model's alone.
    answer_breakdown = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"Run {self.pk}: {self.dataset_name} ({self.brain})"


class EvalCaseResult(models.Model):
    run = models.ForeignKey(EvalRun, on_delete=models.CASCADE, related_name="case_results")
    case_id = models.CharField(max_length=100)
    expected = models.JSONField(default=dict)
    predicted = models.JSONField(default=dict)
    intent_correct = models.BooleanField(default=False)
    action_correct = models.BooleanField(default=False)
    sentiment_correct = models.BooleanField(default=False)
    flagged = models.BooleanField(default=False, help_text="The turn carried FLAG_FOR_HUMAN_REVIEW.")
    failed = models.BooleanField(
        default=False,
        help_text="Wrong primary action, a key fact missing, forbidden content or the wrong reply language.",
    )
    # The per-case verdicts behind the metrics: reply language, review flag, missing key facts,
    # forbidden strings found, failure reasons (evaluation.metrics.CaseOutcome.checks).
    checks = models.JSONField(default=dict)
    latency_ms = models.FloatField(default=0)

    class Meta:
        ordering = ["run", "id"]
        constraints = [models.UniqueConstraint(fields=["run", "case_id"], name="eval_case_unique_per_run")]

    def __str__(self) -> str:
        return self.case_id
