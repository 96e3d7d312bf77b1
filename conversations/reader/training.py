"""Fitting a reader from examples, and measuring it by cross-validation on the same examples.

Pure computation (no database): ``services.py`` gathers the examples and stores the result. Every
measured figure comes from predictions on folds the model did not see: per-intent precision and
recall, the confusion matrix, expected calibration error before and after temperature scaling, and
for the scope head how many in-scope examples it would flag and how many out-of-scope ones it
catches. The same seed gives the same reader.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import vstack
from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support

from conversations.reader.artefact import Reader, sigmoid, softmax, stack_features
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
from conversations.reader.heads import LabelledTexts, train_risk_head
from knowledge.languages import DEFAULT_LANGUAGE

# Inverse regularisation strengths, chosen by cross-validation on the demo and neutral examples
# (C=10 beat 1, 5 and 20 within a point; the features are unit-length, so C transfers across data).
INTENT_C = 10.0
SCOPE_C = 10.0
STACK_C = 1.0
# How many written examples one reviewed message counts for in the intent head (see TrainingSet.weights).
REVIEWED_EXAMPLE_WEIGHT = 10.0
# The probability above which a message is read as out of scope (the policy flags it).
OUT_OF_SCOPE_THRESHOLD = 0.5
# The share of in-scope examples the scope head may flag, cross-validated: its threshold is set where
# that share is met (clamped to SCOPE_THRESHOLD_RANGE), so more or different in-scope examples move
# the threshold rather than the number of real prospects told "this seems meant for someone else".
IN_SCOPE_FLAG_BUDGET = 0.035
SCOPE_THRESHOLD_RANGE = (0.3, 0.8)
# How much an out-of-scope message counts as an example of its act's intent (against 1 for the intents'
# own examples): 0.5 read 0.55 of the other-businesses set's intents (0.475 at 0.25, 0.55 at 1.0) at a
# cross-validated accuracy on the intents' own examples of 0.858 (0.862 at 0.25, 0.852 at 1.0).
OUT_OF_SCOPE_ACT_WEIGHT = 0.5


class NotEnoughExamples(ValueError):
    """Training needs at least two intents with examples."""


@dataclass(frozen=True)
class TrainingSet:
    texts: list[str]
    vectors: np.ndarray  # (examples, dimensions)
    intents: list[str]  # one label per text
    out_of_scope_texts: list[str]
    out_of_scope_vectors: np.ndarray
    # The company's knowledge-base chunk embeddings: how close a text comes to them tells the scope head
    # whether it is about this company's business. May be empty.
    knowledge_vectors: np.ndarray
    embedding_model: str
    # The language of each text, out-of-scope text and chunk (ISO 639-1); English when not given.
    languages: list[str] | None = None
    out_of_scope_languages: list[str] | None = None
    knowledge_languages: list[str] | None = None
    # How much each text counts in the intent head (None: all alike). A reviewer's correction is a
    # real message of this company's prospects and counts ``REVIEWED_EXAMPLE_WEIGHT`` times a written one.
    weights: np.ndarray | None = None
    # The intent of each out-of-scope text (what it asks for, whatever the business), or None.
    out_of_scope_intents: list[str | None] | None = None
    # The risk head's examples: requests the agent must refuse, labelled with their ``RiskKind``, and
    # look-alike ordinary questions labelled ``none`` (every intent and out-of-scope text is ``none`` too).
    risk_texts: list[str] = field(default_factory=list)
    risk_vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    risk_labels: list[str] = field(default_factory=list)


def _knowledge_similarity(
    vectors: np.ndarray, languages: list[str], knowledge: np.ndarray, knowledge_languages: list[str]
) -> np.ndarray:
    """Each text's best cosine similarity to a chunk in its own language (as a turn's search, which
    answers from documents in the prospect's language), or to any chunk when none is in its language."""
    if len(knowledge) == 0 or len(vectors) == 0:
        return np.zeros(len(vectors))
    similarities = np.asarray(vectors @ knowledge.T, dtype=np.float64)
    chunk_languages = np.asarray(knowledge_languages)
    best = similarities.max(axis=1)
    for language in set(languages):
        own = chunk_languages == language
        if own.any():
            rows = np.asarray([text_language == language for text_language in languages])
            best[rows] = similarities[np.ix_(rows, own)].max(axis=1)
    return best


def scope_threshold_for(in_scope_probabilities: np.ndarray) -> float:
    """The out-of-scope threshold that flags ``IN_SCOPE_FLAG_BUDGET`` of the in-scope examples, given
    their cross-validated probabilities; ``OUT_OF_SCOPE_THRESHOLD`` when there are none."""
    return budget_threshold(
        in_scope_probabilities, IN_SCOPE_FLAG_BUDGET, SCOPE_THRESHOLD_RANGE, OUT_OF_SCOPE_THRESHOLD
    )


def language_balanced_weights(labels: np.ndarray, languages: list[str]) -> np.ndarray:
    """Sample weights under which, in every language, out-of-scope and in-scope examples weigh what they
    weigh overall: the scope head cannot learn that a language itself is in or out of scope."""
    weights = np.ones(len(labels))
    overall = np.bincount(labels, minlength=2).astype(np.float64)
    language_array = np.asarray(languages)
    for language in set(languages):
        rows = language_array == language
        counts = np.bincount(labels[rows], minlength=2).astype(np.float64)
        if counts.all():
            for label in (0, 1):
                weights[rows & (labels == label)] = (overall[label] / len(labels)) / (
                    counts[label] / rows.sum()
                )
    # Then the two classes weigh the same in total (out-of-scope examples are the fewer).
    for label in (0, 1):
        mask = labels == label
        weights[mask] *= len(labels) / (2 * weights[mask].sum())
    return weights


def _intent_metrics(names: list[str], labels: np.ndarray, logits: np.ndarray, temperature: float) -> dict:
    raw = softmax(logits)
    calibrated = softmax(logits / temperature)
    predicted = calibrated.argmax(axis=1)
    correct = predicted == labels
    precision, recall, _, support = precision_recall_fscore_support(
        labels, predicted, labels=np.arange(len(names)), zero_division=0
    )
    return {
        "accuracy": round(float(correct.mean()), 4),
        "macro_f1": round(float(f1_score(labels, predicted, average="macro", zero_division=0)), 4),
        "ece_uncalibrated": round(
            expected_calibration_error(raw.max(axis=1), raw.argmax(axis=1) == labels), 4
        ),
        "ece": round(expected_calibration_error(calibrated.max(axis=1), correct), 4),
        "temperature": round(temperature, 4),
        "per_intent": {
            name: {
                "precision": round(float(precision[i]), 4),
                "recall": round(float(recall[i]), 4),
                "support": int(support[i]),
            }
            for i, name in enumerate(names)
        },
        "confusion": {
            "labels": names,
            "matrix": confusion_matrix(labels, predicted, labels=np.arange(len(names))).tolist(),
        },
    }


def train_reader(data: TrainingSet, *, seed: int = 0, folds: int) -> tuple[Reader, dict]:
    """Fit the three heads on every example and measure them by ``folds``-fold cross-validation
    (``settings.READER_CV_FOLDS`` for the stored reader; 0 or 1 fits without measuring)."""
    names = sorted(set(data.intents))
    if len(names) < 2:
        raise NotEnoughExamples("training needs examples of at least two intents")
    label_of = {name: i for i, name in enumerate(names)}
    labels = np.asarray([label_of[name] for name in data.intents])
    features = feature_matrix(data.vectors, data.texts)
    out_of_scope_features = (
        feature_matrix(data.out_of_scope_vectors, data.out_of_scope_texts)
        if data.out_of_scope_texts
        else None
    )
    # The out-of-scope messages whose act has an intent of this reader teach the intent head too: what
    # a message asks for reads the same whatever business it is about.
    acts = [
        (row, label_of[intent])
        for row, intent in enumerate(data.out_of_scope_intents or [])
        if intent in label_of
    ]
    intent_features, intent_labels = features, labels
    intent_weights_in = data.weights if data.weights is not None else np.ones(len(labels))
    if acts and out_of_scope_features is not None:
        intent_features = vstack([features, out_of_scope_features[[row for row, _ in acts]]], format="csr")
        intent_labels = np.r_[labels, [label for _, label in acts]]
        intent_weights_in = np.r_[intent_weights_in, np.full(len(acts), OUT_OF_SCOPE_ACT_WEIGHT)]
    splitter = stratified_folds(intent_labels, folds, seed)

    # Intent head: calibrated on out-of-fold logits, then refitted on everything; measured on the
    # intents' own examples (the figures staff compare across versions).
    metrics: dict = {"folds": splitter.get_n_splits() if splitter else 0, "seed": seed}
    temperature = 1.0
    if splitter is not None:
        logits = two_columns(
            cross_validated_logits(
                intent_features, intent_labels, splitter, lambda: logistic(INTENT_C), intent_weights_in
            )
        )
        # Calibrated on the intents' own examples: a turn's confidence is about reading a message this
        # company answers (an out-of-scope one is flagged whatever its intent's confidence).
        own = len(labels)
        temperature = fit_temperature(logits[:own], labels)
        metrics["intent"] = _intent_metrics(names, labels, logits[:own], temperature)
        if acts:
            acts_correct = (softmax(logits[own:] / temperature).argmax(axis=1) == intent_labels[own:]).mean()
            metrics["intent"]["out_of_scope_acts_accuracy"] = round(float(acts_correct), 4)
    intent_model = logistic(INTENT_C).fit(intent_features, intent_labels, sample_weight=intent_weights_in)
    intent_weights, intent_bias = two_logits(intent_model.coef_, intent_model.intercept_)

    # Scope head: out-of-scope messages against every in-scope example, then stacked with the
    # knowledge-base similarity on out-of-fold logits.
    scope_weights = np.zeros(features.shape[1], dtype=np.float32)
    scope_bias = 0.0
    stack = np.asarray([0.0, 0.0, 0.0, 0.0, -20.0])  # no out-of-scope examples: nothing is out of scope
    scope_threshold = OUT_OF_SCOPE_THRESHOLD
    scope_features = (
        vstack([features, out_of_scope_features], format="csr")
        if out_of_scope_features is not None
        else features
    )
    if data.out_of_scope_texts:
        scope_labels = np.r_[np.zeros(len(data.texts), int), np.ones(len(data.out_of_scope_texts), int)]
        scope_languages = [
            *(data.languages or [DEFAULT_LANGUAGE] * len(data.texts)),
            *(data.out_of_scope_languages or [DEFAULT_LANGUAGE] * len(data.out_of_scope_texts)),
        ]
        similarity = _knowledge_similarity(
            np.vstack([data.vectors, data.out_of_scope_vectors]),
            scope_languages,
            data.knowledge_vectors,
            data.knowledge_languages or [DEFAULT_LANGUAGE] * len(data.knowledge_vectors),
        )
        weights = language_balanced_weights(scope_labels, scope_languages)
        scope_splitter = stratified_folds(scope_labels, folds, seed)
        scope_model = logistic(SCOPE_C).fit(scope_features, scope_labels, sample_weight=weights)
        scope_weights = scope_model.coef_[0].astype(np.float32)
        scope_bias = float(scope_model.intercept_[0])
        if scope_splitter is not None:
            oof = cross_validated_logits(
                scope_features, scope_labels, scope_splitter, lambda: logistic(SCOPE_C), weights
            )
            stacked = stack_features(oof, similarity, scope_languages)
            stacker = logistic(STACK_C).fit(stacked, scope_labels)
            stack = np.asarray([*stacker.coef_[0], stacker.intercept_[0]], dtype=np.float64)
            # The stacker measured on folds it did not see either.
            stacked_oof = cross_validated_logits(
                stacked, scope_labels, scope_splitter, lambda: logistic(STACK_C)
            )
            probability = sigmoid(stacked_oof)
            scope_threshold = scope_threshold_for(probability[scope_labels == 0])
            flagged = probability >= scope_threshold
            metrics["scope"] = {
                "in_scope_flagged": round(float(flagged[scope_labels == 0].mean()), 4),
                "out_of_scope_caught": round(float(flagged[scope_labels == 1].mean()), 4),
                "ece": round(
                    expected_calibration_error(
                        np.maximum(probability, 1 - probability), flagged == scope_labels
                    ),
                    4,
                ),
                "threshold": round(scope_threshold, 4),
            }
        else:
            stack = np.asarray([1.0, 0.0, 0.0, 0.0, 0.0])

    # Risk head: requests to refuse against everything else the reader learns from.
    risk = train_risk_head(
        LabelledTexts(data.risk_texts, data.risk_vectors, data.risk_labels),
        scope_features,
        seed=seed,
        folds=folds,
    )
    if risk is not None:
        metrics["risk"] = risk.metrics

    reader = Reader(
        intents=names,
        intent_weights=intent_weights.astype(np.float32),
        intent_bias=intent_bias.astype(np.float32),
        temperature=temperature,
        scope_weights=scope_weights,
        scope_bias=scope_bias,
        scope_stack=stack,
        embedding_model=data.embedding_model,
        metadata={"seed": seed},
        scope_threshold=scope_threshold,
        risk_labels=risk.labels if risk else [],
        risk_weights=risk.weights if risk else None,
        risk_bias=risk.bias if risk else None,
        risk_temperature=risk.temperature if risk else 1.0,
        risk_thresholds=risk.thresholds if risk else {},
    )
    metrics["examples"] = {
        "in_scope": len(data.texts),
        "out_of_scope": len(data.out_of_scope_texts),
        "risk": len(data.risk_texts),
    }
    return reader, metrics
