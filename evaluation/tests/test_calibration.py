"""Choosing the human-review threshold from a run's confidences and mistakes (no database)."""

from __future__ import annotations

import pytest

from evaluation.calibration import candidate_thresholds, choose_review_threshold, threshold_for_cases


def test_the_threshold_that_separates_wrong_from_right_turns_wins():
    confidences = [0.30, 0.45, 0.62, 0.80, 0.95, 0.97]
    wrong = [True, True, False, False, False, False]

    choice = choose_review_threshold(confidences, wrong)

    # Flag everything below 0.54 (the midpoint of 0.45 and 0.62): both mistakes, no correct turn.
    assert choice.threshold == pytest.approx(0.54)
    assert (choice.precision, choice.recall, choice.f1) == (1.0, 1.0, 1.0)
    assert (choice.flagged, choice.caught, choice.wrong, choice.cases) == (2, 2, 2, 6)


def test_ties_go_to_the_lower_threshold_which_flags_fewer_correct_turns():
    # 0.35 catches one of two mistakes alone (F1 2/3); 0.8 catches both with two correct turns (F1 2/3).
    confidences = [0.3, 0.5, 0.6, 0.7, 0.9]
    wrong = [True, False, False, True, False]

    assert choose_review_threshold(confidences, wrong).threshold == pytest.approx(0.4)


def test_a_run_without_mistakes_cannot_choose_a_threshold():
    choice = choose_review_threshold([0.6, 0.9], [False, False])

    assert choice.threshold is None
    assert choice.as_dict()["wrong"] == 0


def test_candidates_are_rounded_midpoints():
    assert candidate_thresholds([0.2, 0.4, 0.4, 0.9]) == [0.3, 0.65, 0.91]


def test_threshold_from_report_cases_counts_intent_or_action_mistakes():
    def case(intent, action, confidence):
        return {
            "expected": {"intent": "pricing_inquiry", "internal_next_steps": [{"action": "PROVIDE_PRICING"}]},
            "predicted": {"intent": intent, "action": action, "confidence_score": confidence},
        }

    cases = [
        case("pricing_inquiry", "PROVIDE_PRICING", 0.9),
        case("payment_question", "EXPLAIN_PAYMENT_OPTIONS", 0.4),
        case("pricing_inquiry", "FLAG_FOR_HUMAN_REVIEW", 0.5),
    ]

    choice = threshold_for_cases(cases)

    assert (choice.wrong, choice.caught, choice.threshold) == (2, 2, pytest.approx(0.7))
