"""``run_eval`` end to end on a tiny dataset, and the stored runs through the API and report pages."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from conversations.models import Conversation, Message
from crm.models import Interaction
from evaluation.metrics import METRIC_NAMES
from evaluation.models import EvalRun

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
    assert dev.name == "dev_dataset"
    assert len(dev.cases) == 36
    assert len(seed.cases) == 10


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
