"""Choosing the human-review confidence threshold from an evaluation run.

A turn is flagged for review when its confidence is below the threshold. The threshold chosen is
the one that maximises F1 of "flagged" against "intent or action wrong": recall counts the wrong
turns a person gets to see, precision the share of reviews that were needed. F1 weighs both without
us picking a review budget by hand; among equally good thresholds the lowest wins, since it sends
fewer correct turns to a person. A run with no wrong turns cannot choose a threshold (every
candidate scores F1 = 0), and says so rather than inventing one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any


@dataclass(frozen=True)
class ThresholdChoice:
    """The suggested threshold (None when the run had no wrong turns) and how it performs."""

    threshold: float | None
    precision: float
    recall: float
    f1: float
    flagged: int
    caught: int
    wrong: int
    cases: int

    def as_dict(self) -> dict[str, float | int | None]:
        return {
            "threshold": self.threshold,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "flagged": self.flagged,
            "caught": self.caught,
            "wrong": self.wrong,
            "cases": self.cases,
        }


def review_scores(
    confidences: Sequence[float], wrong: Sequence[bool], threshold: float
) -> tuple[float, float, float, int, int]:
    """(precision, recall, F1, flagged, caught) of flagging every turn with confidence < ``threshold``;
    caught counts the flagged turns that were wrong."""
    flagged = [confidence < threshold for confidence in confidences]
    caught = sum(1 for flag, bad in zip(flagged, wrong, strict=True) if flag and bad)
    flagged_count, wrong_count = sum(flagged), sum(wrong)
    precision = caught / flagged_count if flagged_count else 0.0
    recall = caught / wrong_count if wrong_count else 0.0
    f1 = 2 * precision * recall / (precision + recall) if caught else 0.0
    return precision, recall, f1, flagged_count, caught


def candidate_thresholds(confidences: Sequence[float]) -> list[float]:
    """Midpoints between neighbouring distinct confidences (and one above the highest), rounded to
    two decimals so the setting reads naturally; rounding can only merge candidates, not skip cases
    that a finer value would separate by more than 0.005."""
    values = sorted(set(confidences))
    points = [(low + high) / 2 for low, high in pairwise(values)]
    points.append(min(1.0, values[-1] + 0.01) if values else 0.5)
    return sorted({round(point, 2) for point in points})


def choose_review_threshold(confidences: Sequence[float], wrong: Sequence[bool]) -> ThresholdChoice:
    """The threshold with the best F1 of "flagged" against "wrong" (ties: the lowest threshold)."""
    wrong_count = sum(wrong)
    if not confidences or not wrong_count:
        return ThresholdChoice(None, 0.0, 0.0, 0.0, 0, 0, wrong_count, len(confidences))
    best: ThresholdChoice | None = None
    for threshold in candidate_thresholds(confidences):
        precision, recall, f1, flagged, caught = review_scores(confidences, wrong, threshold)
        if best is None or f1 > best.f1 + 1e-12:
            best = ThresholdChoice(
                threshold, precision, recall, f1, flagged, caught, wrong_count, len(confidences)
            )
    assert best is not None  # there is always at least one candidate
    return best


def threshold_for_cases(per_case: Sequence[Mapping[str, Any]]) -> ThresholdChoice:
    """The threshold suggested by a run report's ``per_case`` entries (expected vs predicted)."""
    confidences, wrong = [], []
    for case in per_case:
        expected, predicted = case["expected"], case["predicted"]
        steps = expected.get("internal_next_steps") or [{}]
        confidences.append(float(predicted["confidence_score"]))
        wrong.append(
            expected.get("intent") != predicted["intent"] or steps[0].get("action") != predicted["action"]
        )
    return choose_review_threshold(confidences, wrong)
