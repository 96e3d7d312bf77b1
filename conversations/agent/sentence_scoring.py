"""How well a knowledge-base sentence answers a question: a linear score over a few features.

``drafting.select_sentences`` describes each candidate sentence by ``FEATURE_NAMES`` (how close it is to
the question, how close its chunk is, the chunk's rank, whether it leads its section, what it shares with
the question) and keeps the best-scoring ones at or above the threshold. The weights and the threshold are
data (``sentence_weights.json``), fitted by ``manage.py fit_sentence_weights`` on labelled datasets; while
a fit runs it collects the candidates of every selection through ``collecting_candidates``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

WEIGHTS_FILE = Path(__file__).resolve().parent / "sentence_weights.json"

FEATURE_NAMES = (
    "similarity",  # cosine similarity of the sentence and the question
    "chunk_similarity",  # cosine similarity of the sentence's chunk and the question
    "chunk_rank",  # 0 for the best retrieved chunk read, 1 for the next, ...
    "lead",  # 1 for a section's first sentence, which states its subject
    "entity_mentions",  # how many of the prospect's entities it names (at most 2)
    "has_number",  # 1 when it holds a digit (a price, a limit, a duration)
    "shared_words",  # content words it shares with the question (at most 3)
    "other_language",  # 1 when the reply is not in English (the embedding model is English-only)
    "other_language_similarity",  # the similarity again, for replies not in English
)


@dataclass(frozen=True)
class SentenceScorer:
    """``bias + weights · features``; a sentence answers when its score reaches ``threshold``."""

    bias: float
    weights: np.ndarray
    threshold: float
    fitted_on: str = ""

    def scores(self, features: np.ndarray) -> np.ndarray:
        return self.bias + features @ self.weights

    def to_json(self) -> dict[str, Any]:
        return {
            "fitted_on": self.fitted_on,
            "bias": round(float(self.bias), 6),
            "threshold": round(float(self.threshold), 6),
            "weights": {
                name: round(float(w), 6) for name, w in zip(FEATURE_NAMES, self.weights, strict=True)
            },
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SentenceScorer:
        weights = data["weights"]
        if set(weights) != set(FEATURE_NAMES):
            raise ValueError(f"sentence weights must name exactly {', '.join(FEATURE_NAMES)}")
        return cls(
            bias=float(data["bias"]),
            weights=np.asarray([float(weights[name]) for name in FEATURE_NAMES]),
            threshold=float(data["threshold"]),
            fitted_on=str(data.get("fitted_on", "")),
        )


def best_reaching(scores: np.ndarray, threshold: float, limit: int) -> np.ndarray:
    """Indices of at most ``limit`` of the best ``scores`` that reach ``threshold``, best first (ties in
    their original order): what a selection keeps."""
    ranked = np.argsort(-scores, kind="stable")[:limit]
    return ranked[scores[ranked] >= threshold]


@cache
def sentence_scorer() -> SentenceScorer:
    """The scorer in ``sentence_weights.json``, read once per process."""
    return SentenceScorer.from_json(json.loads(WEIGHTS_FILE.read_text(encoding="utf-8")))


@dataclass(frozen=True)
class Selection:
    """One call of ``select_sentences`` as a fit sees it: each candidate with its features."""

    sentences: list[str]
    features: np.ndarray  # (candidates, len(FEATURE_NAMES))
    max_sentences: int


_collected: ContextVar[list[Selection] | None] = ContextVar("collected_selections", default=None)


@contextmanager
def collecting_candidates() -> Iterator[list[Selection]]:
    """Within the block, every sentence selection is appended to the list yielded (for fitting)."""
    selections: list[Selection] = []
    token = _collected.set(selections)
    try:
        yield selections
    finally:
        _collected.reset(token)


def record_selection(selection: Selection) -> None:
    collected = _collected.get()
    if collected is not None:
        collected.append(selection)
