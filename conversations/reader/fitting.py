"""The fitting every head of the reader shares: logistic regressions, stratified folds, out-of-fold
decision values, temperature scaling, budgeted thresholds and expected calibration error.

Pure computation (no database, no reader): ``training.py`` fits the intent and scope heads with it,
``heads.py`` the risk head.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize_scalar
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from conversations.reader.artefact import softmax

ECE_BINS = 10
MAX_ITERATIONS = 3000


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray, bins: int = ECE_BINS) -> float:
    """Mean gap between confidence and accuracy over equal-width confidence bins, weighted by size."""
    if len(confidence) == 0:
        return 0.0
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            total += mask.sum() * abs(float(confidence[mask].mean()) - float(correct[mask].mean()))
    return total / len(confidence)


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The temperature that minimises the negative log-likelihood of cross-validated logits."""

    def nll(temperature: float) -> float:
        probabilities = softmax(logits / temperature)
        return -float(np.mean(np.log(np.clip(probabilities[np.arange(len(labels)), labels], 1e-12, 1.0))))

    return float(minimize_scalar(nll, bounds=(0.05, 20.0), method="bounded").x)


def stratified_folds(labels: np.ndarray, requested: int, seed: int) -> StratifiedKFold | None:
    smallest = int(np.bincount(labels).min()) if len(labels) else 0
    folds = min(requested, smallest)
    return StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed) if folds >= 2 else None


def logistic(c: float) -> LogisticRegression:
    return LogisticRegression(C=c, max_iter=MAX_ITERATIONS)


def budget_threshold(
    probabilities: np.ndarray, budget: float, bounds: tuple[float, float], default: float
) -> float:
    """The threshold that ``budget`` of ``probabilities`` reach, clamped to ``bounds``; ``default``
    when there are none."""
    if not len(probabilities):
        return default
    low, high = bounds
    return min(max(float(np.quantile(probabilities, 1 - budget)), low), high)


def two_logits(coefficients: np.ndarray, intercepts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A fitted model's weights as one row per class: a binary model scores the second class only, so
    as two logits it reads like the multinomial one."""
    if len(coefficients) == 1:
        return np.vstack([-coefficients / 2, coefficients / 2]), np.r_[-intercepts / 2, intercepts / 2]
    return coefficients, intercepts


def cross_validated_logits(features, labels, folds, make, weights: np.ndarray | None = None) -> np.ndarray:
    """Out-of-fold decision values: each row scored by a model fitted without its fold."""
    out: np.ndarray | None = None
    for train, test in folds.split(np.zeros(len(labels)), labels):
        fit_weights = None if weights is None else weights[train]
        model = make().fit(features[train], labels[train], sample_weight=fit_weights)
        values = model.decision_function(features[test])
        if out is None:
            out = np.zeros((len(labels), *values.shape[1:]))
        out[test] = values
    assert out is not None
    return out


def two_columns(logits: np.ndarray) -> np.ndarray:
    """Binary decision values as the two logits of a two-class softmax."""
    return np.column_stack([-logits / 2, logits / 2]) if logits.ndim == 1 else logits
