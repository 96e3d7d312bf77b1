"""The run page's reads: which run is the previous one, and how each metric moved since it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from evaluation.models import EvalRun
from evaluation.selectors import run_previous, run_summary, runs_latest_per_dataset

pytestmark = pytest.mark.django_db


def make_run(*, name: str = "realistic", digest: str = "a", minutes_ago: int = 0, **metrics) -> EvalRun:
    return EvalRun.objects.create(
        dataset_name=name,
        dataset_hash=digest * 64,
        brain="local",
        metrics=metrics,
        started_at=timezone.now() - timedelta(minutes=minutes_ago),
    )


def test_the_previous_run_is_the_latest_earlier_run_of_the_same_dataset_content():
    oldest = make_run(minutes_ago=40)
    previous = make_run(minutes_ago=30)
    make_run(minutes_ago=20, digest="b")  # the dataset's file changed: not comparable
    make_run(minutes_ago=15, name="dev")
    run = make_run(minutes_ago=10)
    make_run(minutes_ago=5)  # later runs are not "previous"

    assert run_previous(run=run) == previous
    assert run_previous(run=previous) == oldest
    assert run_previous(run=oldest) is None


def test_the_summary_compares_in_each_metrics_direction_and_skips_missing_values():
    make_run(minutes_ago=10, unflagged_failure_rate=0.4, complete_answer_rate=0.2, review_flag_precision=None)
    run = make_run(unflagged_failure_rate=0.3, complete_answer_rate=0.1, review_flag_precision=0.5)

    summary = run_summary(run=run)

    by_name = {metric.name: metric for metric in summary.metrics}
    assert by_name["unflagged_failure_rate"].direction == "better"
    assert by_name["complete_answer_rate"].direction == "worse"
    assert by_name["complete_answer_rate"].regression  # 0.10 down: more than run_eval's default 0.02
    assert by_name["review_flag_precision"].direction is None
    assert summary.previous is not None


def test_a_first_run_has_no_previous_and_no_deltas():
    summary = run_summary(run=make_run(intent_accuracy=0.9))

    assert summary.previous is None
    assert {metric.delta for metric in summary.metrics} == {None}
    assert next(m for m in summary.metrics if m.name == "intent_accuracy").after == 0.9


def test_the_latest_run_of_each_dataset_whatever_its_content():
    # given: "realistic" ran three times (its file changed for the newest), "dev" once
    make_run(minutes_ago=30)
    make_run(minutes_ago=20)
    newest = make_run(minutes_ago=10, digest="b")
    dev = make_run(minutes_ago=40, name="dev")
    # when
    latest = runs_latest_per_dataset()
    # then: one run per dataset, in dataset-name order
    assert latest == [dev, newest]
