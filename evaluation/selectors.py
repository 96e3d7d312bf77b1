"""Reads for the evaluation report pages: a run's metrics next to the previous run of its dataset, and the
latest run of each dataset for the staff home page."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from evaluation.charts import BarChart, metric_bar_chart
from evaluation.compare import (
    DEFAULT_MAX_DROP,
    DEFAULT_MAX_LATENCY_INCREASE,
    MetricDelta,
    compare_metrics,
)
from evaluation.models import EvalRun


@dataclass(frozen=True)
class RunSummary:
    """What the run page shows: every metric (with its change since ``previous``, if any) and the chart."""

    run: EvalRun
    previous: EvalRun | None
    metrics: list[MetricDelta]
    chart: BarChart


def run_previous(*, run: EvalRun) -> EvalRun | None:
    """The latest run started before ``run`` on the same dataset (same name and same content)."""
    return (
        EvalRun.objects.filter(dataset_name=run.dataset_name, dataset_hash=run.dataset_hash)
        .filter(Q(started_at__lt=run.started_at) | Q(started_at=run.started_at, pk__lt=run.pk))
        .order_by("-started_at", "-pk")
        .first()
    )


def run_summary(*, run: EvalRun) -> RunSummary:
    """The run's metrics compared with the previous run of its dataset, judged as ``run_eval
    --compare`` judges them by default (which direction is worse, and what counts as a regression).

    Without a previous run every delta is None: the metrics are listed as they are.
    """
    previous = run_previous(run=run)
    metrics = compare_metrics(
        previous.metrics if previous else {},
        run.metrics,
        max_drop=DEFAULT_MAX_DROP,
        max_latency_increase=DEFAULT_MAX_LATENCY_INCREASE,
    )
    chart = metric_bar_chart(run.metrics, previous=previous.metrics if previous else None)
    return RunSummary(run=run, previous=previous, metrics=metrics, chart=chart)


def runs_latest_per_dataset() -> list[EvalRun]:
    """The newest run of each dataset name (whatever its content hash), in dataset-name order."""
    return list(EvalRun.objects.order_by("dataset_name", "-started_at", "-pk").distinct("dataset_name"))
