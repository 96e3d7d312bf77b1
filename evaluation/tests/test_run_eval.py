"""``run_eval`` end to end on a tiny dataset, and the stored runs through the API and report pages."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from conversations.models import Conversation, Message
from crm.models import Interaction
from evaluation.compare import LOWER_IS_BETTER
from evaluation.metrics import METRIC_NAMES
from evaluation.models import EvalRun
from salesagent.fake_openai import answer as fake_answer

pytestmark = pytest.mark.django_db

TINY_DATASET = [
    {
        "id": "tiny_001",
        "conversation_history": [],
        "current_prospect_message": "How much is the Premium plan per seat?",
        "prospect_id": "prospect_001",
        "expected": {
            "intent": "pricing_inquiry",
            "entities": ["premium plan"],
            "sentiment": "neutral",
            "suggested_response_draft": "Premium is $99 per seat per month, billed annually.",
            "internal_next_steps": [{"action": "PROVIDE_PRICING_DETAILS", "details": {"reason": "price"}}],
            "key_facts": ["$99"],
            "sources": ["plans-and-pricing"],
        },
    },
    {
        "id": "tiny_002",
        "conversation_history": [
            {"sender": "agent", "content": "Would you like to start?", "timestamp": "2026-11-02T09:00:00Z"}
        ],
        "current_prospect_message": {
            "sender": "prospect",
            "content": "Can we pay by bank transfer?",
            "timestamp": "2026-11-02T09:05:00Z",
        },
        "prospect_id": "prospect_unknown",
        "expected": {
            "intent": "payment_question",
            "entities": ["bank transfer"],
            "sentiment": "neutral",
            "suggested_response_draft": "Yes, by bank transfer against invoice above $5,000.",
            "internal_next_steps": [{"action": "EXPLAIN_PAYMENT_OPTIONS", "details": {"reason": "payment"}}],
            "key_facts": ["bank transfer"],
            "sources": ["billing-and-payments"],
        },
    },
]


@pytest.fixture
def tiny_dataset(tmp_path):
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(TINY_DATASET))
    return path


def test_run_eval_writes_the_json_report_and_stores_the_run(tiny_dataset, tmp_path):
    report_path = tmp_path / "out" / "report.json"
    before = (Conversation.objects.count(), Message.objects.count(), Interaction.objects.count())

    call_command("run_eval", "--dataset", str(tiny_dataset), "--brain", "local", "--json", str(report_path))

    report = json.loads(report_path.read_text())
    assert report["dataset"] == "tiny"
    assert report["brain"] == "local"
    assert report["cases"] == 2
    assert set(report["metrics"]) == set(METRIC_NAMES)
    assert report["metrics"]["intent_accuracy"] == 1.0
    assert report["metrics"]["action_accuracy"] == 1.0
    assert report["metrics"]["retrieval_hit_rate"] == 1.0
    assert report["metrics"]["key_fact_recall"] == 1.0
    assert report["metrics"]["latency_p50_ms"] > 0
    assert [case["id"] for case in report["per_case"]] == ["tiny_001", "tiny_002"]
    first = report["per_case"][0]
    assert first["expected"]["intent"] == "pricing_inquiry"
    assert first["predicted"]["intent"] == "pricing_inquiry"
    assert "$99" in first["predicted"]["suggested_response_draft"]
    assert "plans-and-pricing" in first["predicted"]["retrieved_documents"]
    second = report["per_case"][1]["predicted"]
    assert [step["action"] for step in second["internal_next_steps"]][:2] == [
        "EXPLAIN_PAYMENT_OPTIONS",
        "CREATE_LEAD",
    ]

    run = EvalRun.objects.get(pk=report["run_id"])
    assert run.case_count == 2
    assert run.metrics == report["metrics"]
    assert run.case_results.filter(intent_correct=True).count() == 2
    # The eval's turns were rolled back: no conversations, messages or CRM interactions remain.
    assert (Conversation.objects.count(), Message.objects.count(), Interaction.objects.count()) == before


def test_run_eval_rejects_a_malformed_dataset(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(
        json.dumps([{"id": "x", "current_prospect_message": "", "expected": {"intent": "greeting"}}])
    )
    with pytest.raises(CommandError, match="current_prospect_message"):
        call_command("run_eval", "--dataset", str(path))
    assert not EvalRun.objects.exists()


def test_run_eval_rejects_a_missing_dataset():
    with pytest.raises(CommandError, match="not found"):
        call_command("run_eval", "--dataset", "no/such/file.json")


def test_bundled_datasets_load_by_name():
    from evaluation.datasets import load_dataset, resolve_dataset_path

    dev = load_dataset(resolve_dataset_path(None))
    seed = load_dataset(resolve_dataset_path("seed_golden_dataset"))
    challenge = load_dataset(resolve_dataset_path("challenge_dataset"))
    assert dev.name == "dev_dataset"
    assert len(dev.cases) == 36
    assert len(seed.cases) == 10
    assert len(challenge.cases) == 68
    assert {case.expected["intent"] for case in challenge.cases} == {
        case.expected["intent"] for case in dev.cases
    }


@pytest.fixture
def stored_run(tiny_dataset):
    call_command("run_eval", "--dataset", str(tiny_dataset))
    return EvalRun.objects.latest("started_at")


def test_runs_api_is_read_only_and_shows_case_results(api_client, anonymous_client, stored_run):
    assert anonymous_client.get("/api/evaluation/runs/").status_code == 401

    listing = api_client.get("/api/evaluation/runs/").json()
    assert listing["results"][0]["id"] == stored_run.pk
    assert listing["results"][0]["metrics"]["intent_accuracy"] == stored_run.metrics["intent_accuracy"]

    detail = api_client.get(f"/api/evaluation/runs/{stored_run.pk}/").json()
    assert [case["case_id"] for case in detail["case_results"]] == ["tiny_001", "tiny_002"]
    assert api_client.delete(f"/api/evaluation/runs/{stored_run.pk}/").status_code == 405


def test_report_pages_show_metrics_to_staff_only(client, admin_client, stored_run):
    assert client.get("/evaluation/").status_code == 302

    listing = admin_client.get("/evaluation/").content.decode()
    assert f"#{stored_run.pk}" in listing
    detail = admin_client.get(f"/evaluation/runs/{stored_run.pk}/").content.decode()
    assert "intent_accuracy" in detail
    assert "tiny_002" in detail

    admin_page = admin_client.get(f"/admin/evaluation/evalrun/{stored_run.pk}/change/").content.decode()
    assert "tiny_001" in admin_page


def test_run_eval_records_model_usage_in_the_report_and_the_run(tiny_dataset, tmp_path):
    report_path = tmp_path / "report.json"

    call_command("run_eval", "--dataset", str(tiny_dataset), "--brain", "local", "--json", str(report_path))

    report = json.loads(report_path.read_text())
    assert report["usage"] == {
        "prompt_tokens": 0,
        "completion_tokens": 0,
        "total_tokens": 0,
        "cost_usd": 0.0,
        "cost_usd_per_case": 0.0,
        "degraded_cases": 0,
    }
    predicted = report["per_case"][0]["predicted"]
    assert (predicted["prompt_tokens"], predicted["completion_tokens"], predicted["cost_usd"]) == (0, 0, 0.0)
    assert report["review_threshold"]["wrong"] == 0
    run = EvalRun.objects.get(pk=report["run_id"])
    assert (run.prompt_tokens, run.completion_tokens, run.cost_usd, run.degraded_cases) == (0, 0, 0.0, 0)


def baseline_run(dataset_path, **metrics) -> EvalRun:
    from evaluation.datasets import load_dataset

    dataset = load_dataset(dataset_path)
    return EvalRun.objects.create(
        dataset_name=dataset.name,
        dataset_hash=dataset.sha256,
        brain="local",
        model_name="local:knn-minilm+vader+templates",
        case_count=2,
        # By default every metric is at its worst, so only what a test sets can regress.
        metrics={name: metrics.get(name, 1e6 if name in LOWER_IS_BETTER else 0.0) for name in METRIC_NAMES},
        started_at=timezone.now(),
    )


def test_compare_passes_when_nothing_got_worse(tiny_dataset):
    baseline = baseline_run(tiny_dataset)
    out = io.StringIO()

    call_command("run_eval", "--dataset", str(tiny_dataset), "--compare", str(baseline.pk), stdout=out)

    output = out.getvalue()
    assert f"Compared with run {baseline.pk}" in output
    assert f"No metric regressed against run {baseline.pk}." in output
    assert EvalRun.objects.count() == 2


def test_compare_fails_when_a_metric_dropped_more_than_allowed(tiny_dataset):
    baseline = baseline_run(tiny_dataset, response_bleu=1.0)
    out = io.StringIO()

    with pytest.raises(CommandError, match=r"regressed against run \d+: response_bleu"):
        call_command("run_eval", "--dataset", str(tiny_dataset), "--compare", str(baseline.pk), stdout=out)

    assert "REGRESSION" in out.getvalue()
    # With a looser allowance the same comparison passes.
    call_command(
        "run_eval",
        "--dataset",
        str(tiny_dataset),
        "--compare",
        str(baseline.pk),
        "--max-drop",
        "1.0",
        stdout=io.StringIO(),
    )


def test_compare_gates_latency_relatively_unless_told_to_ignore_it(tiny_dataset):
    baseline = baseline_run(tiny_dataset, latency_p50_ms=0.01, latency_p95_ms=0.01)

    with pytest.raises(CommandError, match="latency_p50_ms, latency_p95_ms"):
        call_command(
            "run_eval", "--dataset", str(tiny_dataset), "--compare", str(baseline.pk), stdout=io.StringIO()
        )
    call_command(
        "run_eval",
        "--dataset",
        str(tiny_dataset),
        "--compare",
        str(baseline.pk),
        "--ignore-latency",
        stdout=io.StringIO(),
    )


def test_compare_with_an_unknown_run_fails_before_running(tiny_dataset):
    with pytest.raises(CommandError, match="no stored evaluation run with id 999999"):
        call_command("run_eval", "--dataset", str(tiny_dataset), "--compare", "999999")
    assert not EvalRun.objects.exists()


def test_compare_refuses_a_run_on_another_dataset_unless_forced(tiny_dataset):
    baseline = baseline_run(tiny_dataset)
    EvalRun.objects.filter(pk=baseline.pk).update(dataset_hash="0" * 64)

    with pytest.raises(CommandError, match="not comparable; pass --force"):
        call_command("run_eval", "--dataset", str(tiny_dataset), "--compare", str(baseline.pk))
    assert EvalRun.objects.count() == 1

    err = io.StringIO()
    call_command(
        "run_eval",
        "--dataset",
        str(tiny_dataset),
        "--compare",
        str(baseline.pk),
        "--force",
        stdout=io.StringIO(),
        stderr=err,
    )
    assert "Warning: run" in err.getvalue()


def test_run_eval_with_the_model_brain_records_tokens_and_cost(
    tiny_dataset, tmp_path, model_settings, fake_openai
):
    # Given an OpenAI-compatible endpoint that answers every turn (the warm-up turn is local)
    def reply(request):
        return fake_answer(
            {
                "intent": "pricing_inquiry",
                "sentiment": "neutral",
                "priority": "medium",
                "entities": [],
                "key_points": ["Asks about a price"],
                "secondary_actions": [],
                "reply_draft": "Happy to help with that.",
                "cited_chunk_ids": [],
                "confidence": 0.8,
                "reasoning": "A pricing question.",
            },
            usage=(1000, 200),
        )

    fake_openai.enqueue(reply, reply)
    report_path = tmp_path / "model.json"

    # When the dataset is evaluated with the model brain
    call_command("run_eval", "--dataset", str(tiny_dataset), "--brain", "openai", "--json", str(report_path))

    # Then both cases went to the model, and the tokens and the estimated cost are reported and stored
    report = json.loads(report_path.read_text())
    assert len(fake_openai.requests) == 2
    assert report["brain"] == "openai"
    assert [case["predicted"]["brain"] for case in report["per_case"]] == ["openai", "openai"]
    assert report["usage"]["prompt_tokens"] == 2000
    assert report["usage"]["completion_tokens"] == 400
    expected_cost = 2 * (1000 * 0.15 + 200 * 0.60) / 1_000_000
    assert report["usage"]["cost_usd"] == pytest.approx(expected_cost)
    run = EvalRun.objects.get(pk=report["run_id"])
    assert (run.prompt_tokens, run.completion_tokens) == (2000, 400)
    assert float(run.cost_usd) == pytest.approx(expected_cost)
