"""Comparing runs: per-metric deltas, which direction is worse, and the gate (no database)."""

from __future__ import annotations

import pytest

from evaluation.compare import compare_metrics, format_comparison, regressions

BEFORE = {
    "intent_accuracy": 0.95,
    "key_fact_recall": 0.70,
    "retrieval_hit_rate": None,
    "unsupported_claim_rate": 0.00,
    "confidence_ece": 0.10,
    "latency_p95_ms": 30.0,
}
NAMES = tuple(BEFORE)


def compare(after: dict, **limits):
    limits = {"max_drop": 0.02, "max_latency_increase": 0.5, **limits}
    return {
        delta.name: delta for delta in compare_metrics(BEFORE, {**BEFORE, **after}, names=NAMES, **limits)
    }


def test_a_drop_within_the_allowance_is_reported_but_passes():
    deltas = compare({"intent_accuracy": 0.94})

    assert deltas["intent_accuracy"].delta == pytest.approx(-0.01)
    assert deltas["intent_accuracy"].worse_by == pytest.approx(0.01)
    assert not regressions(list(deltas.values()))


def test_a_drop_beyond_the_allowance_is_a_regression():
    deltas = compare({"key_fact_recall": 0.60})

    assert [d.name for d in regressions(list(deltas.values()))] == ["key_fact_recall"]


@pytest.mark.parametrize("name", ["unsupported_claim_rate", "confidence_ece"])
def test_for_error_rates_a_rise_is_the_drop(name):
    before = BEFORE[name]
    assert before is not None
    worse = compare({name: before + 0.05})[name]
    better = compare({name: before + 0.05 - 0.1})[name]

    assert worse.regression
    assert worse.worse_by == pytest.approx(0.05)
    assert not better.regression


def test_latency_is_gated_relative_to_the_baseline_or_not_at_all():
    assert not compare({"latency_p95_ms": 42.0})["latency_p95_ms"].regression  # +40%
    slower = compare({"latency_p95_ms": 60.0})["latency_p95_ms"]  # +100%
    assert slower.regression
    assert slower.worse_by == pytest.approx(1.0)
    assert not compare({"latency_p95_ms": 60.0}, max_latency_increase=None)["latency_p95_ms"].regression


def test_metrics_without_a_value_on_either_side_are_not_compared():
    delta = compare({"retrieval_hit_rate": 0.9})["retrieval_hit_rate"]

    assert (delta.delta, delta.regression) == (None, False)


def test_the_table_marks_regressions_and_worse_metrics():
    deltas = list(compare({"intent_accuracy": 0.90, "key_fact_recall": 0.69}).values())

    lines = format_comparison(deltas, baseline_id=3, run_id=4)

    assert lines[0] == "Compared with run 3 (run 4):"
    row = next(line for line in lines if "intent_accuracy" in line)
    assert "0.9500" in row
    assert "-0.0500" in row
    assert "REGRESSION" in row
    assert next(line for line in lines if "key_fact_recall" in line).endswith("worse")


@pytest.mark.parametrize("name", ["forbidden_content_rate", "unflagged_failure_rate"])
def test_for_the_realistic_failure_rates_a_rise_is_worse(name):
    deltas = {
        d.name: d
        for d in compare_metrics(
            {name: 0.10}, {name: 0.20}, names=(name,), max_drop=0.02, max_latency_increase=None
        )
    }

    assert deltas[name].direction == "worse"
    assert deltas[name].regression
    falling = compare_metrics(
        {name: 0.20}, {name: 0.10}, names=(name,), max_drop=0.02, max_latency_increase=None
    )
    assert falling[0].direction == "better"


@pytest.mark.parametrize(
    "name", ["complete_answer_rate", "reply_language_accuracy", "review_flag_recall", "review_flag_precision"]
)
def test_for_the_realistic_success_rates_a_fall_is_worse(name):
    [delta] = compare_metrics(
        {name: 0.50}, {name: 0.40}, names=(name,), max_drop=0.02, max_latency_increase=None
    )

    assert delta.direction == "worse"
    assert delta.regression


def test_a_metric_that_is_none_on_either_side_has_no_direction_and_prints_n_a():
    deltas = compare_metrics(
        {"review_flag_precision": None, "reply_language_accuracy": 0.5},
        {"review_flag_precision": 0.5, "reply_language_accuracy": None},
        names=("review_flag_precision", "reply_language_accuracy"),
        max_drop=0.02,
        max_latency_increase=None,
    )

    assert [(d.direction, d.regression) for d in deltas] == [(None, False), (None, False)]
    lines = format_comparison(deltas, baseline_id=1, run_id=2)
    assert all("n/a" in line for line in lines[2:])


def test_an_unchanged_metric_is_the_same():
    assert compare({})["intent_accuracy"].direction == "same"
