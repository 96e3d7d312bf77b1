"""Unit tests for the evaluation metrics (no database)."""

from __future__ import annotations

import pytest

from evaluation.metrics import (
    METRIC_NAMES,
    CaseOutcome,
    entity_scores,
    expected_calibration_error,
    key_fact_recall,
    macro_f1,
    percentile,
    reciprocal_rank,
    rouge_l,
    sentence_bleu,
    summarize,
)


def make_outcome(**overrides) -> CaseOutcome:
    fields = {
        "case_id": "c1",
        "expected_intent": "pricing_inquiry",
        "predicted_intent": "pricing_inquiry",
        "expected_sentiment": "neutral",
        "predicted_sentiment": "neutral",
        "expected_entities": ["Standard plan"],
        "predicted_entities": ["standard plan"],
        "expected_action": "PROVIDE_PRICING_DETAILS",
        "predicted_action": "PROVIDE_PRICING_DETAILS",
        "expected_draft": "The Standard plan is $49 per seat per month.",
        "predicted_draft": "The Standard plan costs $49 per seat per month, billed annually.",
        "key_facts": ["$49"],
        "expected_sources": ["plans-and-pricing"],
        "retrieved_documents": ["plans-and-pricing", "billing-and-payments"],
        "confidence": 0.9,
        "latency_ms": 10.0,
    }
    fields.update(overrides)
    return CaseOutcome(**fields)


def test_macro_f1_averages_per_label_f1():
    pairs = [("a", "a"), ("a", "b"), ("b", "b"), ("c", "c")]
    # a: P=1 R=.5 F=.667; b: P=.5 R=1 F=.667; c: 1.0
    assert macro_f1(pairs) == pytest.approx((2 / 3 + 2 / 3 + 1) / 3)


def test_entity_scores_normalise_case_and_whitespace():
    precision, recall, f1 = entity_scores([(["Standard  Plan ", "300 seats"], ["standard plan", "monthly"])])
    assert (precision, recall) == (0.5, 0.5)
    assert f1 == pytest.approx(0.5)


def test_entity_scores_with_nothing_expected_or_predicted_are_perfect():
    assert entity_scores([([], [])]) == (1.0, 1.0, 1.0)


def test_bleu_and_rouge_are_on_a_unit_scale():
    text = "The Standard plan is $49 per seat per month."
    assert sentence_bleu(text, text) == pytest.approx(1.0)
    assert rouge_l(text, text) == pytest.approx(1.0)
    assert sentence_bleu("completely unrelated words here", text) < 0.1
    assert 0 < rouge_l("The plan is $49.", text) < 1
    assert sentence_bleu("", text) == 0.0


def test_key_fact_recall_is_case_insensitive_and_micro_averaged():
    cases = [(["$49", "Monthly"], "Only $49, billed annually."), (["14-day"], "A 14-DAY trial.")]
    assert key_fact_recall(cases) == pytest.approx(2 / 3)
    assert key_fact_recall([([], "anything")]) is None


def test_reciprocal_rank_uses_first_expected_document_among_unique_documents():
    assert reciprocal_rank(["b"], ["a", "a", "b"]) == 0.5
    assert reciprocal_rank(["x"], ["a", "b"]) == 0.0


def test_expected_calibration_error():
    # All at 0.9 confidence, half correct: |0.5 - 0.9| = 0.4.
    assert expected_calibration_error([0.9, 0.9], [True, False]) == pytest.approx(0.4)
    # Perfectly calibrated bins.
    assert expected_calibration_error([1.0, 0.0], [True, False]) == pytest.approx(0.0)


def test_percentile_interpolates():
    values = [10.0, 20.0, 30.0, 40.0]
    assert percentile(values, 50) == 25.0
    assert percentile(values, 95) == pytest.approx(38.5)
    assert percentile([], 50) == 0.0


def test_summarize_returns_every_metric_of_the_contract():
    good = make_outcome()
    bad = make_outcome(
        case_id="c2",
        predicted_intent="payment_question",
        predicted_action="EXPLAIN_PAYMENT_OPTIONS",
        predicted_sentiment="positive",
        predicted_draft="We accept cards.",
        retrieved_documents=["billing-and-payments", "plans-and-pricing"],
        unsupported_claims=["$10"],
        latency_ms=30.0,
    )
    metrics = summarize([good, bad], semantic_similarity=lambda hyps, refs: [1.0 for _ in hyps])
    assert list(metrics) == list(METRIC_NAMES)
    assert metrics["intent_accuracy"] == 0.5
    assert metrics["action_accuracy"] == 0.5
    assert metrics["sentiment_accuracy"] == 0.5
    assert metrics["key_fact_recall"] == 0.5
    assert metrics["retrieval_hit_rate"] == 1.0
    assert metrics["retrieval_mrr"] == 0.75
    assert metrics["unsupported_claim_rate"] == 0.5
    assert metrics["response_semantic_similarity"] == 1.0
    assert metrics["latency_p50_ms"] == 20.0


def test_summarize_reports_none_for_metrics_without_data():
    metrics = summarize([make_outcome(key_facts=[], expected_sources=[])])
    assert metrics["key_fact_recall"] is None
    assert metrics["retrieval_hit_rate"] is None
    assert metrics["retrieval_mrr"] is None
