"""Sentiment labels from VADER's score and the tone markers; moods an intent always carries are policy."""

from __future__ import annotations

import pytest

from conversations.agent.sentiment import classify_sentiment, vader_compound
from conversations.agent.tone import read_tone


@pytest.mark.parametrize(
    ("message", "declining", "expected"),
    [
        ("Your support took four days to answer. Unacceptable.", False, "negative"),
        ("How much is the Standard plan?", False, "neutral"),
        ("We went with another vendor, thanks anyway.", True, "neutral"),
        ("Stop emailing me.", True, "negative"),
        ("This is terrible, nothing works and I hate it. Do you have docs?", False, "negative"),
        ("Wow, this is amazing, I love it! Is there an API?", False, "positive"),
    ],
)
def test_sentiment_reads_vader_and_the_tone(message, declining, expected):
    tone = read_tone(message)

    label = classify_sentiment(message, compound=tone.compound, angry=tone.negative, declining=declining)

    assert label == expected
    assert tone.compound == pytest.approx(vader_compound(message))


def test_a_language_vader_cannot_read_is_neutral_unless_the_markers_say_otherwise():
    calm = read_tone("No, gracias, no necesitamos más información por ahora.", language="es")

    assert classify_sentiment(
        "No, no tenemos tarjeta.", compound=calm.compound, angry=False, declining=False
    ) == ("neutral")
