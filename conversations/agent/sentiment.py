"""Sentiment: VADER's lexicon score, read through what the intent says about the prospect's mood."""

from __future__ import annotations

import re
from functools import lru_cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

# Intents that carry their own mood: a complaint is negative however politely it is put.
INTENT_SENTIMENT = {
    "complaint": "negative",
    "objection": "negative",
    "conversion_signal": "positive",
    "product_interest": "positive",
    "greeting": "positive",
}
COURTESY_RE = re.compile(r"\b(thanks?|thank you|appreciate|all the best|good luck|best of luck)\b", re.I)
# Questions are neutral unless the wording is clearly charged.
STRONG_NEGATIVE = -0.5
STRONG_POSITIVE = 0.6


@lru_cache(maxsize=1)
def _analyzer() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


def vader_compound(text: str) -> float:
    """VADER's compound score in [-1, 1]."""
    return float(_analyzer().polarity_scores(text)["compound"])


def classify_sentiment(text: str, *, intent: str) -> tuple[str, float]:
    """(label, compound score) for a message whose intent is already known."""
    compound = vader_compound(text)
    if intent in INTENT_SENTIMENT:
        return INTENT_SENTIMENT[intent], compound
    if intent == "not_interested":
        # "No thanks, we went elsewhere" is a polite no; "take me off your list" is a rejection.
        return ("neutral" if COURTESY_RE.search(text) else "negative"), compound
    if compound <= STRONG_NEGATIVE:
        return "negative", compound
    if compound >= STRONG_POSITIVE:
        return "positive", compound
    return "neutral", compound
