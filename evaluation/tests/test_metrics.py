"""Unit tests for the evaluation metrics (no database)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from evaluation.metrics import (
    METRIC_NAMES,
    CaseOutcome,
    complete_answer_rate,
    entity_scores,
    expected_calibration_error,
    forbidden_content_rate,
    forbidden_found,
    key_fact_recall,
    macro_f1,
    missing_key_facts,
    percentile,
    reciprocal_rank,
    reply_language_accuracy,
    review_flag_precision,
    review_flag_rate,
    review_flag_recall,
    rouge_l,
    sentence_bleu,
    summarize,
    unflagged_failure_rate,
)


def make_outcome(**overrides) -> CaseOutcome:
    outcome = CaseOutcome(
        case_id="c1",
        expected_intent="pricing_inquiry",
        predicted_intent="pricing_inquiry",
        expected_sentiment="neutral",
        predicted_sentiment="neutral",
        expected_entities=["Standard plan"],
        predicted_entities=["standard plan"],
        expected_action="PROVIDE_PRICING_DETAILS",
        predicted_action="PROVIDE_PRICING_DETAILS",
        expected_draft="The Standard plan is $49 per seat per month.",
        predicted_draft="The Standard plan costs $49 per seat per month, billed annually.",
        key_facts=["$49"],
        expected_sources=["plans-and-pricing"],
        retrieved_documents=["plans-and-pricing", "billing-and-payments"],
        confidence=0.9,
        latency_ms=10.0,
    )
    return replace(outcome, **overrides)


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


def test_a_dataset_without_sentiment_entity_or_draft_labels_measures_none_of_them():
    # Given cases that label intent and key facts only (as real messages written to others do)
    unlabelled = make_outcome(expected_sentiment="", expected_entities=[], expected_draft="")

    metrics = summarize([unlabelled, replace(unlabelled, case_id="c2")], semantic_similarity=lambda h, r: [])

    # Then those metrics are null, not a misleading 0.0 or 1.0
    for name in (
        "sentiment_accuracy",
        "entity_precision",
        "entity_recall",
        "entity_f1",
        "response_bleu",
        "response_rouge_l",
        "response_semantic_similarity",
    ):
        assert metrics[name] is None, name
    assert metrics["intent_accuracy"] == 1.0


@pytest.mark.parametrize(
    ("draft", "reasons"),
    [
        ("The Standard plan costs $49 per seat per month.", []),
        ("The Standard plan costs $49 per seat per month. **Standard** includes SSO.", ["markdown"]),
        (
            "The Standard plan costs $49 per seat. The Standard plan costs $49 per seat.",
            ["duplicate_sentence"],
        ),
        (
            "The Standard plan costs $49 per seat. Annual billing saves more. "
            "The Standard plan costs $45 per seat.",
            ["contradiction"],
        ),
        (
            "The $49 answer. SSO is available on the Standard and Premium plans. SSO is available on the "
            "Premium plan only.",
            ["contradiction"],
        ),
    ],
)
def test_a_draft_is_sendable_unless_it_contradicts_itself_repeats_or_carries_markdown(draft, reasons):
    outcome = make_outcome(predicted_draft=draft)

    assert outcome.unsendable_reasons == reasons
    assert outcome.sendable is (not reasons)


def test_sendable_rate_is_the_share_of_drafts_a_rep_could_send_as_they_stand():
    sendable = make_outcome()
    missing_fact = make_outcome(case_id="c2", key_facts=["14-day"])

    assert summarize([sendable, missing_fact])["sendable_rate"] == 0.5


def test_missing_key_facts_and_forbidden_found_ignore_case():
    draft = "Premium is $99 per seat. Happy to help!"

    assert missing_key_facts(["premium", "$99", "SSO"], draft) == ["SSO"]
    assert forbidden_found(["HAPPY TO HELP", "great question"], draft) == ["HAPPY TO HELP"]


def test_complete_answer_rate_counts_drafts_holding_every_key_fact():
    cases = [
        (["$49", "annual"], "Standard is $49, billed ANNUALLY."),  # complete
        (["$49", "14-day"], "Standard is $49."),  # one fact missing
        ([], "no key facts: not counted"),
    ]

    assert complete_answer_rate(cases) == 0.5
    assert complete_answer_rate([([], "anything")]) is None


def test_forbidden_content_rate_counts_drafts_holding_any_forbidden_string():
    cases = [
        (["great question", "I confirm"], "Great Question! The price is $49."),
        (["we are HIPAA compliant"], "We do not sign BAAs."),
        ([], "Great question! (no forbidden list: not counted)"),
    ]

    assert forbidden_content_rate(cases) == 0.5
    assert forbidden_content_rate([([], "Great question!")]) is None


def test_reply_language_accuracy_only_counts_cases_expecting_another_language():
    pairs = [("es", "es"), ("pt", "en"), ("en", "en"), ("en", "de")]

    assert reply_language_accuracy(pairs) == 0.5
    assert reply_language_accuracy([("en", "en"), ("en", "fr")]) is None


def test_review_flag_recall_and_precision():
    # (needs_review, flagged): one caught, one missed, one needless flag, one unlabelled and unflagged.
    pairs = [(True, True), (True, False), (None, True), (None, False)]

    assert review_flag_recall(pairs) == 0.5
    assert review_flag_precision(pairs) == 0.5


def test_review_flag_metrics_are_none_when_there_is_nothing_to_measure():
    unlabelled = [(None, True), (None, False)]
    nothing_flagged = [(True, False), (None, False)]
    nothing_needs_review = [(False, True), (None, False)]

    assert (review_flag_recall(unlabelled), review_flag_precision(unlabelled)) == (None, None)
    assert review_flag_recall(nothing_flagged) == 0.0
    assert review_flag_precision(nothing_flagged) is None
    assert review_flag_recall(nothing_needs_review) is None
    assert review_flag_precision(nothing_needs_review) == 0.0


@pytest.mark.parametrize(
    ("overrides", "reasons"),
    [
        ({}, []),
        ({"predicted_action": "EXPLAIN_PAYMENT_OPTIONS"}, ["action"]),
        ({"predicted_draft": "Standard is billed annually."}, ["key_facts"]),
        ({"forbidden": ["PER SEAT"]}, ["forbidden"]),
        ({"expected_language": "es"}, ["language"]),
        ({"reply_language": ""}, ["language"]),  # no draft at all is not a reply in English
    ],
)
def test_a_case_fails_on_action_key_fact_forbidden_content_or_language(overrides, reasons):
    outcome = make_outcome(**overrides)

    assert outcome.failure_reasons == reasons
    assert outcome.failed is bool(reasons)


def test_unflagged_failure_rate_counts_failures_nobody_is_asked_to_review():
    cases = [
        make_outcome(case_id="ok"),
        make_outcome(case_id="failed-flagged", predicted_action="X", flagged=True),
        make_outcome(case_id="failed-unflagged", predicted_action="X"),
        make_outcome(case_id="ok-flagged", flagged=True),
    ]

    assert unflagged_failure_rate(cases) == 0.25
    assert [case.unflagged_failure for case in cases] == [False, False, True, False]
    assert unflagged_failure_rate([]) is None


def test_case_checks_report_language_flag_and_failures():
    outcome = make_outcome(
        expected_language="es",
        reply_language="en",
        forbidden=["billed annually"],
        needs_review=True,
        flagged=True,
        flag_reasons=["confidence 0.40 below 0.65"],
        key_facts=["$49", "14-day"],
    )

    assert outcome.checks() == {
        "language": {"expected": "es", "detected": "en", "match": False},
        "flag": {"flagged": True, "reasons": ["confidence 0.40 below 0.65"], "expected": True},
        "missing_key_facts": ["14-day"],
        "forbidden_found": ["billed annually"],
        "failed": True,
        "failure_reasons": ["key_facts", "forbidden", "language"],
        "sendable": False,
        "unsendable_reasons": ["key_facts", "forbidden", "language"],
        "contradictions": [],
        "duplicate_sentences": [],
        "unflagged_failure": False,
    }


def test_summarize_measures_the_realistic_message_metrics():
    spanish = make_outcome(
        case_id="es",
        expected_language="es",
        reply_language="es",
        predicted_draft="El plan Standard cuesta $49 por usuario.",
        needs_review=True,
        flagged=True,
    )
    english_with_forbidden = make_outcome(
        case_id="en", forbidden=["great question"], predicted_draft="Great question! It is $49."
    )
    missing_fact = make_outcome(case_id="miss", predicted_draft="It depends on the plan.", flagged=True)

    metrics = summarize([spanish, english_with_forbidden, missing_fact])

    assert metrics["complete_answer_rate"] == pytest.approx(0.6667)
    assert metrics["forbidden_content_rate"] == 1.0
    assert metrics["reply_language_accuracy"] == 1.0
    assert metrics["review_flag_recall"] == 1.0
    assert metrics["review_flag_precision"] == 0.5
    # Only the draft with forbidden content failed without a flag; the missing fact was flagged.
    assert metrics["unflagged_failure_rate"] == pytest.approx(0.3333)


def test_summarize_reports_none_for_realistic_metrics_a_dataset_does_not_label():
    metrics = summarize([make_outcome(), make_outcome(case_id="c2", flagged=True)])

    for name in (
        "forbidden_content_rate",
        "reply_language_accuracy",
        "review_flag_recall",
        "review_flag_precision",
    ):
        assert metrics[name] is None, name
    assert metrics["complete_answer_rate"] == 1.0
    assert metrics["unflagged_failure_rate"] == 0.0


def test_review_flag_rate_is_the_share_of_turns_a_person_must_read():
    assert review_flag_rate([True, False, False, True]) == 0.5
    assert review_flag_rate([False, False]) == 0.0
    # No turns: nothing to measure
    assert review_flag_rate([]) is None
