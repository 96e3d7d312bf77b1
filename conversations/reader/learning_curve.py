"""How the reader improves with reviews: a learning curve over growing shares of reviewed messages.

A team reviewing turns tells the reader what messages really were (``TrainingExample`` rows, accepted
in the admin). This measures what that buys before anyone has to wait for it: labelled messages (an
evaluation dataset's cases stand in for reviewed turns) are split into a part that is "reviewed" and a
held-out part that never is; the reader is trained on its usual examples plus growing shares of the
reviewed part, and each reader is measured on the held-out part: its intent accuracy and the share of
messages it is not sure enough of to send without review.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from conversations.reader.training import REVIEWED_EXAMPLE_WEIGHT, TrainingSet, train_reader
from knowledge.embeddings import embed_texts
from knowledge.languages import DEFAULT_LANGUAGE

DEFAULT_SHARES = (0.0, 0.25, 0.5, 0.75, 1.0)
# Calibration folds for each reader: its confidences decide the flag rate, so they must be calibrated.
CURVE_FOLDS = 3


class CurveError(ValueError):
    """The messages cannot give a learning curve (too few, or none of a known intent)."""


@dataclass(frozen=True)
class LabelledMessage:
    """A message and what a reviewer said it was."""

    text: str
    intent: str
    language: str = DEFAULT_LANGUAGE


@dataclass(frozen=True)
class CurvePoint:
    """One reader of the curve: trained with ``reviewed`` of the reviewable messages, measured on the
    held-out ones."""

    share: float
    reviewed: int
    held_out: int
    intent_accuracy: float
    flag_rate: float


def _split(
    messages: Sequence[LabelledMessage], held_out: float, seed: int
) -> tuple[list[LabelledMessage], list[LabelledMessage]]:
    """(reviewable, held out), shuffled by ``seed``."""
    order = np.random.default_rng(seed).permutation(len(messages))
    count = min(len(messages) - 1, max(1, round(len(messages) * held_out)))
    held = [messages[i] for i in order[:count]]
    reviewable = [messages[i] for i in order[count:]]
    return reviewable, held


def _with_reviews(base: TrainingSet, reviewed: Sequence[LabelledMessage], vectors: np.ndarray) -> TrainingSet:
    if not reviewed:
        return base
    return replace(
        base,
        texts=[*base.texts, *(m.text for m in reviewed)],
        vectors=np.vstack([base.vectors, vectors[: len(reviewed)]]),
        intents=[*base.intents, *(m.intent for m in reviewed)],
        languages=[
            *(base.languages or [DEFAULT_LANGUAGE] * len(base.texts)),
            *(m.language for m in reviewed),
        ],
        weights=np.r_[
            base.weights if base.weights is not None else np.ones(len(base.texts)),
            np.full(len(reviewed), REVIEWED_EXAMPLE_WEIGHT),
        ],
    )


def learning_curve(
    base: TrainingSet,
    messages: Sequence[LabelledMessage],
    *,
    review_threshold: float,
    shares: Sequence[float] = DEFAULT_SHARES,
    held_out: float = 0.5,
    seed: int = 0,
    folds: int = CURVE_FOLDS,
) -> list[CurvePoint]:
    """The reader's intent accuracy and flag rate on held-out messages, trained on ``base`` plus each
    share of the reviewable messages (in a fixed order, so a larger share holds the smaller ones).

    A held-out message counts as flagged when the reader's probability for its best intent is below
    ``review_threshold`` (the turn's review threshold). Messages of intents ``base`` does not know are
    left out. Deterministic for a ``seed``.
    """
    known = set(base.intents)
    usable = [message for message in messages if message.intent in known]
    if len(usable) < 2:
        raise CurveError("a learning curve needs at least two messages of intents the reader knows")
    reviewable, held = _split(usable, held_out, seed)
    reviewable_vectors = np.asarray(embed_texts([m.text for m in reviewable]), dtype=np.float32)
    held_vectors = np.asarray(embed_texts([m.text for m in held]), dtype=np.float32)
    points = []
    for share in shares:
        reviewed = reviewable[: round(len(reviewable) * share)]
        reader, _ = train_reader(_with_reviews(base, reviewed, reviewable_vectors), seed=seed, folds=folds)
        correct = flagged = 0
        for message, vector in zip(held, held_vectors, strict=True):
            probabilities = reader.read_intents(vector, message.text)
            best = max(probabilities, key=probabilities.__getitem__)
            correct += best == message.intent
            flagged += probabilities[best] < review_threshold
        points.append(
            CurvePoint(
                share=share,
                reviewed=len(reviewed),
                held_out=len(held),
                intent_accuracy=round(correct / len(held), 4),
                flag_rate=round(flagged / len(held), 4),
            )
        )
    return points
