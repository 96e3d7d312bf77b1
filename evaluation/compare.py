"""Comparing an evaluation run with an earlier one, metric by metric, so a regression can fail CI.

Quality metrics are compared in absolute terms (0.93 -> 0.90 is worse by 0.03). For the error rates
(``unsupported_claim_rate``, ``forbidden_content_rate``, ``unflagged_failure_rate``) and
``confidence_ece`` lower is better, so a rise is the drop. A metric with no value on either side
(None: nothing to measure it on) is shown but never compared. Latencies
are compared relative to the baseline (p95 30 ms -> 45 ms is 50% worse), because a millisecond
budget means nothing across machines and brains while a share does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from evaluation.metrics import METRIC_NAMES
from evaluation.models import EvalRun

LOWER_IS_BETTER = frozenset(
    {
        "unsupported_claim_rate",
        "forbidden_content_rate",
        "unflagged_failure_rate",
        "confidence_ece",
        "latency_p50_ms",
        "latency_p95_ms",
    }
)
RELATIVE_METRICS = frozenset({"latency_p50_ms", "latency_p95_ms"})
# The default allowances of ``run_eval --compare`` (absolute for quality, a fraction for latency).
DEFAULT_MAX_DROP = 0.02
DEFAULT_MAX_LATENCY_INCREASE = 0.5
# Metric values are stored rounded to 4 decimals; a difference this small is rounding, not a change.
_EPSILON = 1e-9


class ComparisonError(ValueError):
    """The baseline run does not exist, or measured something else (another dataset)."""


@dataclass(frozen=True)
class MetricDelta:
    """One metric before and after; ``worse_by`` is positive when the metric got worse (absolute, or
    a fraction of the baseline for latencies) and None when either side has no value."""

    name: str
    before: float | None
    after: float | None
    delta: float | None
    worse_by: float | None
    allowed: float | None
    regression: bool

    @property
    def relative(self) -> bool:
        return self.name in RELATIVE_METRICS

    @property
    def lower_is_better(self) -> bool:
        return self.name in LOWER_IS_BETTER

    @property
    def direction(self) -> str | None:
        """``better``, ``worse`` or ``same``; None when the metric has no value on one side."""
        if self.worse_by is None:
            return None
        if self.worse_by > _EPSILON:
            return "worse"
        return "better" if self.worse_by < -_EPSILON else "same"


def check_baseline(
    run_id: int, *, dataset_hash: str, dataset_name: str, force: bool = False
) -> tuple[EvalRun, list[str]]:
    """The stored baseline run and any warnings; raises :class:`ComparisonError` when it is unknown,
    or was run on a different dataset (unless ``force``: then the difference is only a warning)."""
    baseline = EvalRun.objects.filter(pk=run_id).first()
    if baseline is None:
        raise ComparisonError(f"no stored evaluation run with id {run_id}")
    warnings = []
    if baseline.dataset_hash != dataset_hash:
        message = (
            f"run {run_id} evaluated {baseline.dataset_name} (sha256 {baseline.dataset_hash[:12]}), "
            f"this run evaluates {dataset_name} (sha256 {dataset_hash[:12]}): metrics on different "
            "datasets are not comparable"
        )
        if not force:
            raise ComparisonError(f"{message}; pass --force to compare anyway")
        warnings.append(message)
    return baseline, warnings


def _worse_by(name: str, before: float, after: float) -> float:
    change = before - after if name not in LOWER_IS_BETTER else after - before
    if name in RELATIVE_METRICS:
        return change / before if before > 0 else 0.0
    return change


def compare_metrics(
    before: Mapping[str, float | None],
    after: Mapping[str, float | None],
    *,
    max_drop: float,
    max_latency_increase: float | None,
    names: Sequence[str] = METRIC_NAMES,
) -> list[MetricDelta]:
    """Per-metric deltas of ``after`` against ``before``; a metric that got worse by more than its
    allowance (``max_drop``, or ``max_latency_increase`` as a fraction for latencies; None there
    means latencies are reported but never fail) is a regression."""
    deltas = []
    for name in names:
        old, new = before.get(name), after.get(name)
        allowed = max_latency_increase if name in RELATIVE_METRICS else max_drop
        if old is None or new is None:
            deltas.append(MetricDelta(name, old, new, None, None, allowed, False))
            continue
        worse_by = _worse_by(name, old, new)
        regression = allowed is not None and worse_by > allowed + _EPSILON
        deltas.append(
            MetricDelta(name, old, new, round(new - old, 4), round(worse_by, 4), allowed, regression)
        )
    return deltas


def regressions(deltas: Sequence[MetricDelta]) -> list[MetricDelta]:
    return [delta for delta in deltas if delta.regression]


def format_comparison(deltas: Sequence[MetricDelta], *, baseline_id: int, run_id: int) -> list[str]:
    """The comparison as table lines: metric, before, after, delta and a mark for worse/regressed."""
    width = max(len(delta.name) for delta in deltas)
    lines = [
        f"Compared with run {baseline_id} (run {run_id}):",
        f"  {'metric':<{width}}  {'before':>10}  {'after':>10}  {'delta':>10}",
    ]
    for delta in deltas:
        before = "n/a" if delta.before is None else f"{delta.before:.4f}"
        after = "n/a" if delta.after is None else f"{delta.after:.4f}"
        change = "" if delta.delta is None else f"{delta.delta:+.4f}"
        mark = ""
        if delta.regression:
            limit = f"{delta.allowed:.0%}" if delta.relative else f"{delta.allowed:.4f}"
            worse = f"{delta.worse_by:.0%}" if delta.relative else f"{delta.worse_by:.4f}"
            mark = f"  REGRESSION (worse by {worse} > {limit})"
        elif delta.direction == "worse":
            mark = "  worse"
        lines.append(f"  {delta.name:<{width}}  {before:>10}  {after:>10}  {change:>10}{mark}")
    return lines
