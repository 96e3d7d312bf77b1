"""Fitting the draft's sentence scorer (``conversations/agent/sentence_scoring.py``) on labelled datasets.

Every case of the datasets is run through the turn service (rolled back) while the candidates of each
sentence selection are collected. A candidate is labelled an answer when it holds one of the case's
key facts, and not one when it holds forbidden content. A key fact that several candidates of the same
selection hold (a plan's name, a common price) says nothing about which of them answers, so it labels
none of them. A logistic regression over the candidates' features is measured by cross-validation
grouped by case (no case is scored by a model that saw it), against the scorer in use; its threshold
is the one with the best F-beta (``RECALL_WEIGHT``) on the selections it was fitted on.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from conversations.agent.sentence_scoring import (
    Selection,
    SentenceScorer,
    best_reaching,
    collecting_candidates,
)
from evaluation.datasets import GoldenCase
from evaluation.metrics import forbidden_found, missing_key_facts
from evaluation.runner import run_case

# A key fact held by more candidates of one selection than this does not tell an answer apart.
MAX_FACT_HOLDERS = 2
FIT_C = 1.0
THRESHOLD_GRID = np.linspace(0.02, 0.95, 94)
# The threshold maximises F-beta with this beta: a key fact missing from a draft costs a rep more than a
# sentence too many (F2 counts recall four times as much as precision).
RECALL_WEIGHT = 2.0


class NothingToFit(ValueError):
    """The datasets' selections hold no sentence labelled an answer."""


@dataclass(frozen=True)
class LabelledSelection:
    case_id: str
    selection: Selection
    labels: np.ndarray  # 1 answers, 0 does not


@dataclass(frozen=True)
class SelectionScore:
    """How a scorer's picks compare with the labels: precision and recall of the answering sentences."""

    hits: int
    picked: int
    answers: int  # answers the selections could have picked (no more than each may keep)

    def __add__(self, other: SelectionScore) -> SelectionScore:
        return SelectionScore(
            self.hits + other.hits, self.picked + other.picked, self.answers + other.answers
        )

    @property
    def precision(self) -> float:
        return self.hits / self.picked if self.picked else 0.0

    @property
    def recall(self) -> float:
        return self.hits / self.answers if self.answers else 0.0

    @property
    def f1(self) -> float:
        return self.f_beta(1.0)

    def f_beta(self, beta: float) -> float:
        total = beta**2 * self.precision + self.recall
        return (1 + beta**2) * self.precision * self.recall / total if total else 0.0


def label_selection(selection: Selection, facts: Sequence[str], forbidden: Sequence[str]) -> np.ndarray:
    # A sentence holds a fact (or forbidden text) as a draft does in the evaluation's metrics.
    facts = [fact for fact in facts if fact.strip()]
    forbidden = [text for text in forbidden if text.strip()]
    held = [set(facts) - set(missing_key_facts(facts, sentence)) for sentence in selection.sentences]
    labels = np.zeros(len(held))
    for fact in facts:
        holders = [i for i, sentence_facts in enumerate(held) if fact in sentence_facts]
        if 0 < len(holders) <= MAX_FACT_HOLDERS:
            labels[holders] = 1
    for i, sentence in enumerate(selection.sentences):
        if forbidden_found(forbidden, sentence):
            labels[i] = 0
    return labels


def collect_labelled_selections(cases: Iterable[GoldenCase]) -> list[LabelledSelection]:
    """Run each case with the local brain and label the candidates of its sentence selections."""
    labelled: list[LabelledSelection] = []
    for case in cases:
        with collecting_candidates() as selections:
            run_case(case, "local")
        facts = list(case.expected.get("key_facts") or [])
        labelled.extend(
            LabelledSelection(case.case_id, selection, label_selection(selection, facts, case.forbidden))
            for selection in selections
        )
    return labelled


def selection_score(
    labelled: Sequence[LabelledSelection], scores: Sequence[np.ndarray], threshold: float
) -> SelectionScore:
    picked = hits = answers = 0
    for item, item_scores in zip(labelled, scores, strict=True):
        chosen = best_reaching(item_scores, threshold, item.selection.max_sentences)
        picked += len(chosen)
        hits += int(item.labels[chosen].sum())
        answers += min(int(item.labels.sum()), item.selection.max_sentences)
    return SelectionScore(hits=hits, picked=picked, answers=answers)


def _fit(labelled: Sequence[LabelledSelection]) -> LogisticRegression:
    features = np.vstack([item.selection.features for item in labelled])
    labels = np.concatenate([item.labels for item in labelled])
    return LogisticRegression(C=FIT_C, max_iter=1000).fit(features, labels)


def _probabilities(model: LogisticRegression, labelled: Sequence[LabelledSelection]) -> list[np.ndarray]:
    return [model.predict_proba(item.selection.features)[:, 1] for item in labelled]


def best_threshold(labelled: Sequence[LabelledSelection], scores: Sequence[np.ndarray]) -> float:
    """The threshold of the grid with the best F-beta (``RECALL_WEIGHT``; the lowest among equals)."""
    results = [(selection_score(labelled, scores, t).f_beta(RECALL_WEIGHT), -t) for t in THRESHOLD_GRID]
    return -max(results)[1]


@dataclass(frozen=True)
class FitReport:
    current: SelectionScore
    cross_validated: SelectionScore
    scorer: SentenceScorer
    selections: int
    answers: int


def fit_sentence_scorer(
    labelled: Sequence[LabelledSelection], current: SentenceScorer, *, folds: int, fitted_on: str
) -> FitReport:
    """A scorer fitted on every labelled selection, with its cross-validated figures (the threshold
    chosen inside each fold) and those of the ``current`` scorer on the same selections."""
    if not any(item.labels.any() for item in labelled):
        raise NothingToFit("no candidate sentence holds a key fact")
    groups = np.asarray([item.case_id for item in labelled])
    cross_validated = SelectionScore(0, 0, 0)
    for train, test in GroupKFold(n_splits=min(folds, len(set(groups)))).split(groups, groups=groups):
        train_items = [labelled[i] for i in train]
        test_items = [labelled[i] for i in test]
        model = _fit(train_items)
        threshold = best_threshold(train_items, _probabilities(model, train_items))
        cross_validated += selection_score(test_items, _probabilities(model, test_items), threshold)
    model = _fit(labelled)
    threshold = best_threshold(labelled, _probabilities(model, labelled))
    # The scorer compares raw scores with a threshold: the logit of the chosen probability.
    scorer = SentenceScorer(
        bias=float(model.intercept_[0]),
        weights=np.asarray(model.coef_[0], dtype=float),
        threshold=float(np.log(threshold / (1 - threshold))),
        fitted_on=fitted_on,
    )
    current_scores = [current.scores(item.selection.features) for item in labelled]
    return FitReport(
        current=selection_score(labelled, current_scores, current.threshold),
        cross_validated=cross_validated,
        scorer=scorer,
        selections=len(labelled),
        answers=int(sum(item.labels.sum() for item in labelled)),
    )
