"""The reader's risk head: requests the agent must refuse (one class per ``RiskKind``) against ``none``
(every intent and out-of-scope example, and look-alike questions), temperature-scaled, with one
threshold per kind where ``RISK_FLAG_BUDGET`` of the ordinary examples (cross-validated) reach it.

Pure computation, like ``training.py``, which calls it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse import vstack

from conversations.agent.risks import NO_RISK
from conversations.reader.artefact import softmax
from conversations.reader.features import feature_matrix
from conversations.reader.fitting import (
    budget_threshold,
    cross_validated_logits,
    expected_calibration_error,
    fit_temperature,
    logistic,
    stratified_folds,
    two_columns,
    two_logits,
)

# The share of ordinary messages (cross-validated) the risk head may read as each kind of risk: its
# threshold per kind is set where that share is met, clamped to RISK_THRESHOLD_RANGE.
RISK_FLAG_BUDGET = 0.002
RISK_THRESHOLD_RANGE = (0.3, 0.9)
RISK_C = 10.0
# In total, each kind of risk weighs this share of what every ordinary example weighs together: a few
# dozen risk examples against thousands of ordinary ones would otherwise hardly move the head.
RISK_CLASS_SHARE = 0.1


@dataclass(frozen=True)
class LabelledTexts:
    """Texts with their embeddings and one label each: a head's own examples."""

    texts: Sequence[str]
    vectors: np.ndarray  # (texts, dimensions)
    labels: Sequence[str]


def risk_threshold_for(ordinary_probabilities: np.ndarray) -> float:
    """The threshold of one kind of risk that ``RISK_FLAG_BUDGET`` of the ordinary messages reach, given
    their cross-validated probabilities of that kind."""
    return budget_threshold(
        ordinary_probabilities, RISK_FLAG_BUDGET, RISK_THRESHOLD_RANGE, RISK_THRESHOLD_RANGE[1]
    )


def _risk_weights(labels: np.ndarray) -> np.ndarray:
    """Ordinary examples weigh one each; each kind of risk weighs ``RISK_CLASS_SHARE`` of them in total."""
    weights = np.ones(len(labels))
    ordinary = float((labels == 0).sum())
    for label in set(labels.tolist()) - {0}:
        mask = labels == label
        weights[mask] = max(1.0, RISK_CLASS_SHARE * ordinary / mask.sum())
    return weights


@dataclass(frozen=True)
class RiskHead:
    labels: list[str]  # ``none`` first
    weights: np.ndarray
    bias: np.ndarray
    temperature: float
    thresholds: dict[str, float]
    metrics: dict


def train_risk_head(
    examples: LabelledTexts, ordinary_features, *, seed: int = 0, folds: int
) -> RiskHead | None:
    """The risk head: the risk examples against ``ordinary_features`` (every intent and out-of-scope
    example) and the look-alikes, calibrated and thresholded on out-of-fold predictions. None without
    examples of at least one kind of risk."""
    kinds = sorted({label for label in examples.labels if label != NO_RISK})
    if not kinds:
        return None
    names = [NO_RISK, *kinds]
    label_of = {name: i for i, name in enumerate(names)}
    features = vstack([ordinary_features, feature_matrix(examples.vectors, examples.texts)], format="csr")
    labels = np.r_[np.zeros(ordinary_features.shape[0], int), [label_of[label] for label in examples.labels]]
    weights = _risk_weights(labels)
    model = logistic(RISK_C).fit(features, labels, sample_weight=weights)
    coefficients, intercepts = two_logits(model.coef_, model.intercept_)
    temperature, thresholds = 1.0, dict.fromkeys(kinds, RISK_THRESHOLD_RANGE[1])
    metrics: dict = {"examples": {name: int((labels == i).sum()) for i, name in enumerate(names)}}
    splitter = stratified_folds(labels, folds, seed)
    if splitter is not None:
        logits = two_columns(
            cross_validated_logits(features, labels, splitter, lambda: logistic(RISK_C), weights)
        )
        temperature = fit_temperature(logits, labels)
        probabilities = softmax(logits / temperature)
        ordinary = labels == 0
        per_kind = {}
        flagged_any = np.zeros(len(labels), dtype=bool)
        for i, kind in enumerate(names[1:], start=1):
            thresholds[kind] = risk_threshold_for(probabilities[ordinary, i])
            flagged = probabilities[:, i] >= thresholds[kind]
            flagged_any |= flagged
            own = labels == i
            per_kind[kind] = {
                "threshold": round(thresholds[kind], 4),
                "recall": round(float(flagged[own].mean()), 4),
                "precision": round(float(own[flagged].mean()), 4) if flagged.any() else 0.0,
                "support": int(own.sum()),
            }
        hard_negatives = np.r_[
            np.zeros(ordinary_features.shape[0], bool), np.asarray(examples.labels) == NO_RISK
        ]
        predicted = probabilities.argmax(axis=1)
        metrics.update(
            {
                "per_kind": per_kind,
                "ordinary_flagged": round(float(flagged_any[ordinary].mean()), 4),
                "look_alikes_flagged": round(float(flagged_any[hard_negatives].mean()), 4)
                if hard_negatives.any()
                else None,
                "ece": round(expected_calibration_error(probabilities.max(axis=1), predicted == labels), 4),
                "temperature": round(temperature, 4),
            }
        )
    return RiskHead(
        labels=names,
        weights=coefficients.astype(np.float32),
        bias=intercepts.astype(np.float32),
        temperature=temperature,
        thresholds=thresholds,
        metrics=metrics,
    )
