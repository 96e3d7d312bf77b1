"""Sentiment: VADER's lexicon score and the tone markers, read through the intent where it matters.

Moods an intent always carries (a complaint is negative however politely put) are policy, stored on
the intent (``Intent.sentiment_override``) and applied by ``policy.py`` for both brains.
"""

from __future__ import annotations

import re
from functools import lru_cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

COURTESY_RE = re.compile(
    r"\b(thanks?|thank you|appreciate|all the best|good luck|best of luck|gracias|obrigad[oa]|merci|danke)\b",
    re.I,
)
# Questions are neutral unless the wording is clearly charged.
STRONG_NEGATIVE = -0.5
STRONG_POSITIVE = 0.6


@lru_cache(maxsize=1)
def _analyzer() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


def vader_compound(text: str) -> float:
    """VADER's compound score in [-1, 1]."""
    return float(_analyzer().polarity_scores(text)["compound"])


def classify_sentiment(text: str, *, compound: float, angry: bool, declining: bool) -> str:
    """The label for a message: ``compound`` is VADER's score (0 for languages VADER cannot read),
    ``angry`` what the tone markers found, ``declining`` whether the prospect is saying no."""
    if declining:
        # "No thanks, we went elsewhere" is a polite no; "take me off your list" is a rejection.
        return "neutral" if COURTESY_RE.search(text) else "negative"
    if angry or compound <= STRONG_NEGATIVE:
        return "negative"
    if compound >= STRONG_POSITIVE:
        return "positive"
    return "neutral"
