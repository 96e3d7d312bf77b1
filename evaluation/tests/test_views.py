"""The staff report pages: the run list, and a run's metrics, chart and comparison with the previous run."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from evaluation.metrics import METRIC_NAMES, QUALITY_METRIC_NAMES
from evaluation.models import EvalCaseResult, EvalRun

pytestmark = pytest.mark.django_db

# Not every metric applies to every dataset: these two have nothing to measure here.
NOT_MEASURED = {"reply_language_accuracy", "review_flag_precision"}


def make_run(*, dataset: str = "realistic", minutes_ago: int = 0, **metrics) -> EvalRun:
    values: dict[str, float | None] = {
        **dict.fromkeys(METRIC_NAMES, 0.5),
        "latency_p50_ms": 20.0,
        "latency_p95_ms": 40.0,
    }
    values |= dict.fromkeys(NOT_MEASURED) | metrics
    return EvalRun.objects.create(
        dataset_name=dataset,
        dataset_hash=dataset.ljust(64, "0"),
        brain="local",
        case_count=1,
        metrics=values,
        started_at=timezone.now() - timedelta(minutes=minutes_ago),
    )


def metric_row(page: str, name: str) -> str:
    match = re.search(rf'<tr data-metric="{name}"[^>]*>.*?</tr>', page, re.DOTALL)
    assert match, name
    return match.group(0)


def test_the_first_run_of_a_dataset_shows_a_bar_per_measured_metric_and_no_comparison(admin_client):
    # Given one run of a dataset (and an earlier run of another dataset, which is not comparable)
    make_run(dataset="other", minutes_ago=10)
    run = make_run(intent_accuracy=0.75)

    # When staff open its page
    page = admin_client.get(f"/evaluation/runs/{run.pk}/").content.decode()

    # Then the chart has a bar for every quality metric that has a value, and says n/a for the others
    assert page.count('<svg class="eval-chart"') == 1
    bars = re.findall(r'<rect class="eval-bar" data-metric="(\w+)"[^>]*width="([\d.]+)"', page)
    assert [name for name, _ in bars] == [name for name in QUALITY_METRIC_NAMES if name not in NOT_MEASURED]
    widths = dict(bars)
    assert float(widths["intent_accuracy"]) == pytest.approx(1.5 * float(widths["action_accuracy"]))
    assert "latency_p50_ms" not in widths
    # And there is nothing to compare with
    assert "First run of this dataset" in page
    assert "eval-previous" not in page
    assert "(better)" not in page
    assert "(worse)" not in page


def test_a_later_run_shows_deltas_against_the_previous_run_of_its_dataset(admin_client):
    # Given three runs of the same dataset, and a newer run of another dataset
    make_run(minutes_ago=30, intent_accuracy=0.0)
    previous = make_run(minutes_ago=20, intent_accuracy=0.5, forbidden_content_rate=0.1, latency_p95_ms=40.0)
    run = make_run(minutes_ago=10, intent_accuracy=0.75, forbidden_content_rate=0.3, latency_p95_ms=30.0)
    make_run(dataset="other")

    # When staff open the latest run of the dataset
    page = admin_client.get(f"/evaluation/runs/{run.pk}/").content.decode()

    # Then it is compared with the run just before it, metric by metric, in the right direction
    assert f'href="/evaluation/runs/{previous.pk}/"' in page
    intent = metric_row(page, "intent_accuracy")
    assert 'class="eval-better"' in intent
    assert "+0.2500 (better)" in intent
    forbidden = metric_row(page, "forbidden_content_rate")  # a rise in forbidden content is worse
    assert 'class="eval-worse"' in forbidden
    assert "+0.2000 (worse)" in forbidden
    assert "<b>regression</b>" in forbidden
    latency = metric_row(page, "latency_p95_ms")
    assert 'class="eval-better"' in latency
    assert "-10.0000 (better)" in latency
    assert "+0.0000 (same)" in metric_row(page, "action_accuracy")
    assert "n/a" in metric_row(page, "reply_language_accuracy")
    # And the chart marks the previous value on each measured bar
    assert len(re.findall(r'class="eval-previous"', page)) == len(QUALITY_METRIC_NAMES) - len(NOT_MEASURED)


def test_the_page_lists_each_case_with_its_language_flag_and_failures(admin_client):
    run = make_run()
    EvalCaseResult.objects.create(
        run=run,
        case_id="rd_case",
        expected={"intent": "pricing_inquiry"},
        predicted={"intent": "pricing_inquiry", "suggested_response_draft": "Great question!"},
        intent_correct=True,
        failed=True,
        checks={
            "language": {"expected": "es", "detected": "en", "match": False},
            "flag": {"flagged": False, "reasons": [], "expected": True},
            "missing_key_facts": ["$99"],
            "forbidden_found": ["great question"],
            "failed": True,
            "failure_reasons": ["key_facts", "forbidden", "language"],
            "unflagged_failure": True,
        },
    )

    page = admin_client.get(f"/evaluation/runs/{run.pk}/").content.decode()

    match = re.search(r"<tr class=\"eval-failed\">\s*<td>rd_case</td>.*?</tr>", page, re.DOTALL)
    assert match
    row = match.group(0)
    assert "es → en" in row
    assert "not flagged (needs review: yes)" in row
    assert "missing: $99" in row
    assert "forbidden: great question" in row
    assert "<b>not flagged</b>" in row


def test_the_run_list_shows_the_dataset_and_the_realistic_message_metrics(admin_client):
    make_run(complete_answer_rate=0.2222, unflagged_failure_rate=0.4, forbidden_content_rate=0.2)

    page = admin_client.get("/evaluation/").content.decode()

    assert "<td>realistic</td>" in page
    for heading in ("Complete answers", "Forbidden content", "Reply language", "Unflagged failures"):
        assert heading in page
    assert "<td>0.2222</td>" in page
    assert "<td>0.4</td>" in page
