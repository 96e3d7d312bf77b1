"""The learning curve: a reader trained with more reviewed messages reads held-out ones better."""

from __future__ import annotations

import numpy as np
import pytest

from conversations.reader.learning_curve import CurveError, LabelledMessage, learning_curve
from conversations.reader.training import TrainingSet, train_reader
from knowledge.embeddings import embed_texts
from knowledge.models import EMBEDDING_DIMENSIONS

EXAMPLES = {
    "pricing_inquiry": [
        "How much does it cost?",
        "What is the price per user?",
        "Can you send me your pricing?",
        "How much for 20 people?",
        "What would the annual plan cost us?",
        "Is there a discount for larger teams?",
    ],
    "trial_request": [
        "Can we try it for free first?",
        "Do you offer a free trial?",
        "I'd like to test it before buying.",
        "Is there a trial period?",
        "Can my team trial it for two weeks?",
        "How do I start a free trial?",
    ],
    "greeting": [
        "Hi there!",
        "Hello, nice to meet you.",
        "Good morning!",
        "Hey, just saying hello.",
        "Hi team, hope you're well.",
        "Hello from Lisbon!",
    ],
}
# Messages in a team's own jargon that no example resembles: what reviewers teach the reader.
JARGON = [f"flibberwozzle quote {number} pls" for number in range(3, 23)]


@pytest.fixture(scope="module")
def base() -> TrainingSet:
    texts = [text for examples in EXAMPLES.values() for text in examples]
    intents = [intent for intent, examples in EXAMPLES.items() for _ in examples]
    empty = np.zeros((0, EMBEDDING_DIMENSIONS), dtype=np.float32)
    return TrainingSet(
        texts=texts,
        vectors=np.asarray(embed_texts(texts), dtype=np.float32),
        intents=intents,
        out_of_scope_texts=[],
        out_of_scope_vectors=empty,
        knowledge_vectors=empty,
        embedding_model="test",
    )


def _mislabelled_for(base: TrainingSet) -> str:
    """An intent the base reader does not give the jargon: what the reviewers say it is."""
    reader, _ = train_reader(base, folds=0)
    probabilities = reader.read_intents(embed_texts([JARGON[0]])[0], JARGON[0])
    return min(probabilities, key=probabilities.__getitem__)


def test_reviewed_messages_raise_held_out_accuracy_and_lower_the_flag_rate(base):
    # Given messages the base reader misreads, and reviewers saying what they are
    intent = _mislabelled_for(base)
    messages = [LabelledMessage(text, intent) for text in JARGON]

    # When the curve trains on none, half and all of the reviewable half
    points = learning_curve(base, messages, review_threshold=0.65, shares=(0.0, 0.5, 1.0), folds=0)

    # Then the held-out half (never reviewed) is read better and flagged less as reviews grow
    assert [point.reviewed for point in points] == [0, 5, 10]
    assert all(point.held_out == 10 for point in points)
    assert points[0].intent_accuracy < 0.5
    assert points[-1].intent_accuracy == 1.0
    assert points[-1].flag_rate <= points[0].flag_rate


def test_the_curve_is_deterministic_for_a_seed(base):
    messages = [LabelledMessage(text, "pricing_inquiry") for text in JARGON[:8]]

    first = learning_curve(base, messages, review_threshold=0.65, shares=(0.0, 1.0), seed=3, folds=0)
    again = learning_curve(base, messages, review_threshold=0.65, shares=(0.0, 1.0), seed=3, folds=0)

    assert first == again


def test_messages_of_intents_the_reader_does_not_know_are_left_out(base):
    messages = [LabelledMessage("Where is my parcel?", "off_topic"), LabelledMessage(JARGON[0], "greeting")]

    with pytest.raises(CurveError):
        learning_curve(base, messages, review_threshold=0.65, folds=0)
