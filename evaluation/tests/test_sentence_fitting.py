"""Fitting the draft's sentence scorer: labels from key facts, grouped cross-validation, the command."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from conversations.agent.sentence_scoring import FEATURE_NAMES, Selection, SentenceScorer
from evaluation.management.commands import fit_sentence_weights
from evaluation.sentence_fitting import (
    LabelledSelection,
    NothingToFit,
    fit_sentence_scorer,
    label_selection,
    selection_score,
)


def selection(sentences: list[str], max_sentences: int = 2, features: np.ndarray | None = None) -> Selection:
    if features is None:
        features = np.zeros((len(sentences), len(FEATURE_NAMES)))
    return Selection(sentences=sentences, features=features, max_sentences=max_sentences)


def test_a_sentence_holding_a_key_fact_answers_unless_the_fact_is_everywhere_or_it_is_forbidden():
    picked = selection(
        [
            "The Premium plan costs $99 per seat.",
            "Premium includes SSO.",
            "Premium has 24/7 support.",
            "A 14-day trial, and we will match any price.",
        ]
    )

    labels = label_selection(picked, facts=["$99", "premium", "14-day"], forbidden=["match any price"])

    # "$99" tells its sentence apart; "premium", held by three, tells none; the trial sentence is forbidden.
    assert list(labels) == [1, 0, 0, 0]


def test_selection_score_counts_what_each_selection_could_have_picked():
    two = LabelledSelection("a", selection(["x", "y", "z"], max_sentences=1), np.array([1.0, 1.0, 0.0]))
    none = LabelledSelection("b", selection(["u", "v"], max_sentences=2), np.array([0.0, 0.0]))

    score = selection_score([two, none], [np.array([0.9, 0.1, 0.5]), np.array([0.8, 0.2])], threshold=0.5)

    # Picked: x (right), u (wrong); at most one of x and y could be picked, so recall is 1 of 1.
    assert (score.hits, score.picked, score.answers) == (1, 2, 1)
    assert score.precision == 0.5
    assert score.recall == 1.0
    assert score.f1 == pytest.approx(2 / 3)


def synthetic_selections(cases: int = 30, seed: int = 0) -> list[LabelledSelection]:
    """Answers are the sentences with a high first feature; the other features are noise."""
    rng = np.random.default_rng(seed)
    labelled = []
    for case in range(cases):
        features = rng.normal(size=(6, len(FEATURE_NAMES)))
        labels = (features[:, 0] > 1.0).astype(float)
        labelled.append(
            LabelledSelection(f"case-{case}", selection([f"s{i}" for i in range(6)], 2, features), labels)
        )
    return labelled


def test_the_fit_learns_what_tells_answers_apart_and_is_measured_on_unseen_cases():
    labelled = synthetic_selections()
    # The scorer in use weighs a noise feature only.
    noise = np.zeros(len(FEATURE_NAMES))
    noise[1] = 1.0

    report = fit_sentence_scorer(labelled, SentenceScorer(0.0, noise, 0.0), folds=5, fitted_on="synthetic")

    weights = dict(zip(FEATURE_NAMES, report.scorer.weights, strict=True))
    assert max(weights, key=lambda name: abs(weights[name])) == FEATURE_NAMES[0]
    assert weights[FEATURE_NAMES[0]] > 0
    assert report.cross_validated.f1 > 0.8 > report.current.f1
    assert report.scorer.fitted_on == "synthetic"
    # The threshold is a raw score (a logit), so the scorer keeps what the fitted model says answers.
    kept = [
        selection_score([item], [report.scorer.scores(item.selection.features)], report.scorer.threshold)
        for item in labelled
    ]
    assert sum(score.hits for score in kept) / sum(score.picked for score in kept) > 0.9


def test_nothing_to_fit_without_a_single_answer():
    labelled = [LabelledSelection("a", selection(["x", "y"]), np.zeros(2))]

    with pytest.raises(NothingToFit):
        fit_sentence_scorer(
            labelled, SentenceScorer(0.0, np.zeros(len(FEATURE_NAMES)), 0.0), folds=2, fitted_on=""
        )


@pytest.mark.django_db
def test_the_command_fits_on_a_dataset_and_writes_only_when_asked(tmp_path, monkeypatch):
    weights_file = tmp_path / "sentence_weights.json"
    monkeypatch.setattr(fit_sentence_weights, "WEIGHTS_FILE", weights_file)
    out = io.StringIO()

    call_command("fit_sentence_weights", "--dataset", "dev_dataset", "--folds", "2", stdout=out)

    assert "candidate sentences holding a key fact" in out.getvalue()
    assert "fitted, cross-validated (2 folds)" in out.getvalue()
    assert not weights_file.exists()

    call_command(
        "fit_sentence_weights",
        "--dataset",
        "dev_dataset",
        "--folds",
        "2",
        "--write",
        stdout=io.StringIO(),
    )

    written = SentenceScorer.from_json(json.loads(weights_file.read_text()))
    assert written.fitted_on == "dev_dataset"
    assert written.weights.any()


def test_the_command_rejects_an_unknown_dataset():
    with pytest.raises(CommandError, match="not found"):
        call_command("fit_sentence_weights", "--dataset", "no/such.json")


@pytest.mark.django_db
def test_the_command_refuses_a_dataset_without_key_facts(tmp_path, monkeypatch):
    weights_file = tmp_path / "sentence_weights.json"
    monkeypatch.setattr(fit_sentence_weights, "WEIGHTS_FILE", weights_file)

    # The seed dataset gives no key facts: nothing tells an answer apart.
    with pytest.raises(CommandError, match="no candidate sentence holds a key fact"):
        call_command(
            "fit_sentence_weights", "--dataset", "seed_golden_dataset", "--write", stdout=io.StringIO()
        )
    assert not weights_file.exists()
