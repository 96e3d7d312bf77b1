"""Knowledge-base text as draft sentences: split, read as plain text, and chosen by the scorer."""

from __future__ import annotations

import json

import numpy as np
import pytest

from conversations.agent import drafting
from conversations.agent.drafting import plain_text, select_sentences, split_sentences
from conversations.agent.sentence_scoring import (
    FEATURE_NAMES,
    WEIGHTS_FILE,
    SentenceScorer,
    collecting_candidates,
)
from knowledge.embeddings import embed_query
from knowledge.search import SearchResult


def test_markdown_in_a_chunk_becomes_plain_sentences():
    chunk = (
        "**Growth** includes `SSO` and __audit logs__; see [the docs](https://x.example/docs).\n"
        "- *Scale* adds 24/7 support\n"
        "A sentence without markup, left as it is."
    )

    assert split_sentences(chunk) == [
        "Growth includes SSO and audit logs; see the docs (https://x.example/docs).",
        "Scale adds 24/7 support.",
        "A sentence without markup, left as it is.",
    ]


def test_a_link_whose_text_is_its_address_is_written_once():
    assert plain_text("Sign up at [example.com/signup](https://example.com/signup).") == (
        "Sign up at example.com/signup (https://example.com/signup)."
    )
    assert plain_text("Go to [https://a.example](https://a.example).") == "Go to https://a.example."


def _result(chunk_id: int, text: str, similarity: float) -> SearchResult:
    return SearchResult(
        chunk_id=chunk_id,
        document_slug=f"doc-{chunk_id}",
        document_title="",
        category="",
        heading_path="",
        text=text,
        score=similarity,
        vector_similarity=similarity,
    )


TRIAL = _result(1, "You can start a 14-day free trial. No credit card is needed to start it.", 0.7)
BILLING = _result(2, "Invoices are sent on the first day of each month. We accept Visa and Mastercard.", 0.3)


def test_select_sentences_keeps_the_best_scored_answers_and_records_their_features(monkeypatch):
    # Given a question about the trial, and a scorer that only weighs how close a sentence is
    question = "Is there a free trial, and do I need a credit card?"
    weights = np.zeros(len(FEATURE_NAMES))
    weights[FEATURE_NAMES.index("similarity")] = 1.0
    monkeypatch.setattr(drafting, "sentence_scorer", lambda: SentenceScorer(0.0, weights, threshold=0.3))

    # When the sentences are selected while a fit collects them
    with collecting_candidates() as selections:
        picked = select_sentences(
            embed_query(question), [TRIAL, BILLING], entities=[], max_sentences=2, question=question
        )

    # Then the trial's sentences answer it, best first, and the billing ones stay out
    assert {sentence for sentence, _ in picked} == set(split_sentences(TRIAL.text))
    assert {chunk for _, chunk in picked} == {1}
    (selection,) = selections
    assert selection.max_sentences == 2
    assert selection.sentences == [*split_sentences(TRIAL.text), *split_sentences(BILLING.text)]
    assert selection.features.shape == (4, len(FEATURE_NAMES))
    by_name = dict(zip(FEATURE_NAMES, selection.features.T, strict=True))
    assert list(by_name["chunk_rank"]) == [0, 0, 1, 1]
    assert list(by_name["lead"]) == [1, 0, 1, 0]
    assert list(by_name["has_number"]) == [1, 0, 0, 0]
    assert by_name["shared_words"][1] >= 2  # "credit", "card"
    assert not by_name["other_language"].any()


def test_the_threshold_and_the_language_decide_whether_anything_answers(monkeypatch):
    question = "Is there a free trial?"
    weights = np.zeros(len(FEATURE_NAMES))
    weights[FEATURE_NAMES.index("similarity")] = 1.0
    weights[FEATURE_NAMES.index("other_language")] = 0.9
    monkeypatch.setattr(drafting, "sentence_scorer", lambda: SentenceScorer(0.0, weights, threshold=1.0))

    english = select_sentences(embed_query(question), [TRIAL], entities=[], question=question)
    spanish = select_sentences(embed_query(question), [TRIAL], entities=[], question=question, language="es")

    assert english == []
    assert [sentence for sentence, _ in spanish][:1] == ["You can start a 14-day free trial."]


def test_the_bundled_weights_name_every_feature():
    scorer = SentenceScorer.from_json(json.loads(WEIGHTS_FILE.read_text()))

    assert scorer.weights.shape == (len(FEATURE_NAMES),)
    assert scorer.fitted_on
    with pytest.raises(ValueError, match="exactly"):
        SentenceScorer.from_json({**scorer.to_json(), "weights": {"similarity": 1.0}})
    assert SentenceScorer.from_json(scorer.to_json()).to_json() == scorer.to_json()
