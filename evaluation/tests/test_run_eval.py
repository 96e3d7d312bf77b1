"""``run_eval`` end to end on a tiny dataset, and the stored runs through the API and report pages."""

from __future__ import annotations

import io
import json
import logging

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from conversations.models import Conversation, Message
from crm.models import Interaction
from evaluation.compare import LOWER_IS_BETTER
from evaluation.metrics import METRIC_NAMES
from evaluation.models import EvalRun
from evaluation.runner import draft_language
from testing.fake_openai import answer as fake_answer

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


def test_run_eval_limit_evaluates_the_first_cases_only(tiny_dataset, tmp_path):
    report_path = tmp_path / "report.json"

    call_command(
        "run_eval",
        "--dataset",
        str(tiny_dataset),
        "--limit",
        "1",
        "--json",
        str(report_path),
        stdout=io.StringIO(),
    )

    report = json.loads(report_path.read_text())
    assert report["cases"] == 1
    assert [case["id"] for case in report["per_case"]] == ["tiny_001"]
    run = EvalRun.objects.get(pk=report["run_id"])
    assert run.case_count == 1
    assert list(run.case_results.values_list("case_id", flat=True)) == ["tiny_001"]
    # A full run on the same file is another dataset for --compare.
    with pytest.raises(CommandError, match="not comparable"):
        call_command(
            "run_eval", "--dataset", str(tiny_dataset), "--compare", str(run.pk), stdout=io.StringIO()
        )


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

    assert set(listing["results"][0]["metrics"]) == set(METRIC_NAMES)

    detail = api_client.get(f"/api/evaluation/runs/{stored_run.pk}/").json()
    assert [case["case_id"] for case in detail["case_results"]] == ["tiny_001", "tiny_002"]
    stored_case = stored_run.case_results.get(case_id="tiny_001")
    assert detail["case_results"][0]["checks"] == stored_case.checks
    assert detail["case_results"][0]["failed"] is stored_case.failed
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
                "reply_draft": "Happy to help with the Premium plan and the bank transfer.",
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
    assert report["model"] == "gpt-test"
    assert report["answered_by"]["model_answered"] == 2
    assert report["answered_by"]["fallback_reasons"] == {}


def test_run_eval_reports_who_answered_each_case_and_why_it_fell_back(
    tiny_dataset, tmp_path, model_settings, fake_openai
):
    # Given a model that answers the first case, then twice gives invalid output on the second
    # (and a breaker that would open after one failure in production)
    model_settings.MODEL_BREAKER_FAILURES = 1
    good = {
        "intent": "pricing_inquiry",
        "sentiment": "neutral",
        "priority": "medium",
        "entities": [],
        "key_points": [],
        "secondary_actions": [],
        "reply_draft": "The Premium plan price per seat is on our pricing page.",
        "cited_chunk_ids": [],
        "confidence": 0.9,
        "reasoning": "A pricing question.",
    }
    fake_openai.enqueue(
        fake_answer(good, usage=(1000, 100), model="smollm2-real"),
        fake_answer({**good, "intent": "nope"}, usage=(500, 50)),
        fake_answer({**good, "intent": "nope"}, usage=(600, 60)),
    )
    report_path = tmp_path / "mixed.json"
    out = io.StringIO()

    # When the dataset is evaluated with the model brain
    call_command(
        "run_eval",
        "--dataset",
        str(tiny_dataset),
        "--brain",
        "openai",
        "--json",
        str(report_path),
        stdout=out,
    )

    # Then the report names the model that answered, the fallback and its reason, and counts every
    # attempt's tokens (the failed ones included)
    report = json.loads(report_path.read_text())
    assert report["model"] == "smollm2-real"
    breakdown = report["answered_by"]
    assert (breakdown["model_answered"], breakdown["fallback"], breakdown["breaker_skips"]) == (1, 1, 0)
    assert breakdown["models"] == {"smollm2-real": 1}
    [reason] = breakdown["fallback_reasons"]
    assert reason.startswith("invalid output after repair: does not match the schema: $.intent")
    assert breakdown["metrics_model_answered"]["intent_accuracy"] == 1.0
    assert breakdown["metrics_fallback"] is not None
    cases = {case["id"]: case["predicted"] for case in report["per_case"]}
    assert cases["tiny_001"]["fallback_reason"] == ""
    assert cases["tiny_002"]["fallback_reason"] == reason
    assert cases["tiny_002"]["brain"] == "local"
    assert (cases["tiny_002"]["prompt_tokens"], cases["tiny_002"]["completion_tokens"]) == (1100, 110)
    assert report["usage"]["prompt_tokens"] == 2100
    assert "answered by the model: 1/2 (smollm2-real 1); by the local fallback: 1" in out.getvalue()
    assert f"fallback x1: {reason}" in out.getvalue()


REALISTIC_DATASET = [
    {
        "id": "es_001",
        "current_prospect_message": "Hola, ¿cuánto cuesta el plan Premium por usuario al mes?",
        "prospect_id": "prospect_001",
        "expected": {
            "intent": "pricing_inquiry",
            "sentiment": "neutral",
            "internal_next_steps": [{"action": "PROVIDE_PRICING_DETAILS", "details": {"reason": "price"}}],
            "key_facts": ["$99"],
            "language": "es",
            "forbidden": ["great question", "per seat"],
            "needs_review": True,
        },
    },
    TINY_DATASET[1],
]


def test_run_eval_reports_reply_language_and_review_flag_per_case(tmp_path, settings):
    # Given a dataset with a Spanish case that needs review, and a review threshold every turn is below
    path = tmp_path / "realistic.json"
    path.write_text(json.dumps(REALISTIC_DATASET))
    settings.HUMAN_REVIEW_CONFIDENCE_THRESHOLD = 1.01
    report_path = tmp_path / "report.json"

    # When it is evaluated through the real pipeline with the local brain
    call_command("run_eval", "--dataset", str(path), "--brain", "local", "--json", str(report_path))

    # Then each case reports the detected reply language and the flag its next steps carry
    report = json.loads(report_path.read_text())
    spanish, english = report["per_case"]
    for case, expected_language in ((spanish, "es"), (english, "en")):
        draft = case["predicted"]["suggested_response_draft"]
        detected = draft_language(draft)
        assert case["predicted"]["reply_language"] == detected
        assert case["language"] == {
            "expected": expected_language,
            "detected": detected,
            "match": detected == expected_language,
        }
        flag_reasons = [
            step["details"]["reason"]
            for step in case["predicted"]["internal_next_steps"]
            if step["action"] == "FLAG_FOR_HUMAN_REVIEW"
        ]
        assert case["flag"]["flagged"] is True
        assert case["flag"]["reasons"] == flag_reasons
        assert any("below 1.01" in reason for reason in flag_reasons)
        forbidden = case["expected"].get("forbidden", [])
        assert case["forbidden_found"] == [text for text in forbidden if text.lower() in draft.lower()]
        assert case["missing_key_facts"] == [
            fact for fact in case["expected"]["key_facts"] if fact.lower() not in draft.lower()
        ]
        assert case["unflagged_failure"] is False
    assert (spanish["flag"]["expected"], english["flag"]["expected"]) == (True, None)

    # And the metrics follow: the case needing review was flagged, one flag of two was needed
    metrics = report["metrics"]
    assert metrics["review_flag_recall"] == 1.0
    assert metrics["review_flag_precision"] == 0.5
    assert metrics["reply_language_accuracy"] == float(spanish["language"]["match"])
    assert metrics["forbidden_content_rate"] == float(bool(spanish["forbidden_found"]))
    assert metrics["unflagged_failure_rate"] == 0.0

    # And the stored case results hold the same verdicts
    run = EvalRun.objects.get(pk=report["run_id"])
    for row, case in zip(run.case_results.order_by("id"), report["per_case"], strict=True):
        assert row.flagged is True
        assert row.failed is case["failed"]
        assert row.checks["language"] == case["language"]
        assert row.checks["flag"] == case["flag"]


def write_datasets(directory, **datasets):
    directory.mkdir()
    for name, cases in datasets.items():
        (directory / f"{name}.json").write_text(json.dumps(cases))
    return directory


def test_run_eval_all_prints_one_table_with_a_column_per_dataset(tmp_path):
    # Given a directory of two small datasets, only one of which expects a non-English reply
    directory = write_datasets(tmp_path / "datasets", alpha=REALISTIC_DATASET[:1], beta=TINY_DATASET[1:])
    out = io.StringIO()

    # When every dataset in it is evaluated
    call_command(
        "run_eval",
        "--all",
        "--datasets-dir",
        str(directory),
        "--brain",
        "local",
        "--json",
        str(tmp_path / "reports"),
        stdout=out,
    )

    # Then one table has a row per metric and a column per dataset, n/a where a metric does not apply
    lines = out.getvalue().splitlines()
    headers = [line.split() for line in lines if line.split()[:1] == ["metric"]]
    assert headers == [["metric", "alpha", "beta"]]
    rows = {
        line.split()[0]: line.split()[1:]
        for line in lines
        if line.split()[:1] and line.split()[0] in METRIC_NAMES
    }
    assert set(rows) == set(METRIC_NAMES)
    assert all(len(values) == 2 for values in rows.values())
    assert rows["reply_language_accuracy"][1] == "n/a"
    assert rows["reply_language_accuracy"][0] != "n/a"
    assert rows["review_flag_recall"] == [rows["review_flag_recall"][0], "n/a"]
    assert next(line.split()[1:] for line in lines if line.split()[:1] == ["cases"]) == ["1", "1"]

    # And each dataset has its stored run and its own report file
    runs = {run.dataset_name: run for run in EvalRun.objects.all()}
    assert set(runs) == {"alpha", "beta"}
    for name in ("alpha", "beta"):
        report = json.loads((tmp_path / "reports" / f"{name}.json").read_text())
        assert report["dataset"] == name
        assert report["run_id"] == runs[name].pk
        assert report["metrics"] == runs[name].metrics
        assert "review_threshold" in report


def test_run_eval_all_validates_every_dataset_before_running_any(tmp_path):
    directory = write_datasets(
        tmp_path / "datasets",
        good=TINY_DATASET[:1],
        bad=[
            {
                "id": "x",
                "current_prospect_message": "Hi",
                "expected": {"intent": "greeting", "language": "Spanish"},
            }
        ],
    )

    with pytest.raises(CommandError, match=r"case x: expected\.language must be an ISO 639-1 code"):
        call_command("run_eval", "--all", "--datasets-dir", str(directory))
    with pytest.raises(CommandError, match="neither --dataset nor --compare"):
        call_command("run_eval", "--all", "--dataset", "dev_dataset")
    assert not EvalRun.objects.exists()


@pytest.mark.parametrize(("verbosity", "per_turn_lines"), [(1, False), (2, True)])
def test_run_eval_prints_its_own_table_without_a_log_line_per_turn(
    tiny_dataset, caplog, verbosity, per_turn_lines
):
    # When an evaluation runs at the default verbosity (and at 2, which asks for every turn)
    out = io.StringIO()
    call_command(
        "run_eval", "--dataset", str(tiny_dataset), "--brain", "local", verbosity=verbosity, stdout=out
    )

    # Then its table is printed, and the API's per-turn log lines only when asked for
    assert "intent_accuracy" in out.getvalue()
    turn_lines = [record for record in caplog.records if record.name == "conversations.turns"]
    assert bool(turn_lines) is per_turn_lines
    assert logging.getLogger("conversations.turns").level == logging.NOTSET
