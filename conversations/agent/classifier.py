"""Intent classification by nearest neighbours over the intents' example utterances.

Each intent's examples (and its description) are embedded once per process; a message is scored
against every intent by the mean of its best matching examples. Short replies ("yes, let's do it")
are read against the agent's last message, which is what they answer.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

import numpy as np
from django.db.models import Count, Max

from conversations.models import Intent
from knowledge.embeddings import embed_texts, embedding_model_name

TOP_EXAMPLES = 3

AFFIRMATIVE_RE = re.compile(
    r"^\W*(yes|yeah|yep|yup|sure|ok(ay)?|absolutely|definitely|of course|sounds (good|great|perfect)|"
    r"perfect|great|let'?s (do it|go|go ahead|proceed)|go ahead|do it|deal|please do|why not|"
    r"that works|works for me)\b",
    re.IGNORECASE,
)
# What an agent's question offered, read from the question itself, mapped to the intent a "yes" carries.
OFFER_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(
            r"\b(sign(ing)?[ -]?up|subscription|subscribe|contract|purchase|order|checkout|onboard|"
            r"get (you )?started|set (you|it) up|upgrade|account)\b",
            re.I,
        ),
        "conversion_signal",
    ),
    (re.compile(r"\b(trial|try it|test drive)\b", re.I), "trial_request"),
    (re.compile(r"\b(demo|call|meeting|meet|chat|calendar|schedule|book)\b", re.I), "meeting_request"),
    (re.compile(r"\b(quote|pricing|price|discount)\b", re.I), "pricing_inquiry"),
    (re.compile(r"\b(docs|documentation|guide|link|tutorial|resources?)\b", re.I), "information_request"),
    (
        re.compile(r"\b(language|spanish|portuguese|french|german|switch the interface)\b", re.I),
        "localization_question",
    ),
)


@dataclass(frozen=True)
class IntentPrediction:
    intent: str
    confidence: float
    scores: dict[str, float]
    method: str  # "knn" | "context"

    @property
    def runner_up(self) -> tuple[str, float]:
        ranked = sorted(self.scores.items(), key=lambda item: item[1], reverse=True)
        return ranked[1] if len(ranked) > 1 else ("", 0.0)


class _ExampleIndex:
    def __init__(self, version: tuple, names: list[str], labels: np.ndarray, matrix: np.ndarray) -> None:
        self.version = version
        self.names = names
        self.labels = labels
        self.matrix = matrix


_index: _ExampleIndex | None = None
_index_lock = threading.Lock()


def _intents_version() -> tuple:
    stats = Intent.objects.filter(is_active=True).aggregate(count=Count("id"), latest=Max("updated_at"))
    return (stats["count"], stats["latest"], embedding_model_name())


def _example_index() -> _ExampleIndex:
    """The embedded examples, rebuilt when staff edit an intent (or the embedding model changes)."""
    global _index
    version = _intents_version()
    if _index is not None and _index.version == version:
        return _index
    with _index_lock:
        if _index is not None and _index.version == version:
            return _index
        names: list[str] = []
        texts: list[str] = []
        labels: list[int] = []
        for intent in Intent.objects.filter(is_active=True).order_by("name"):
            label = len(names)
            names.append(intent.name)
            utterances = [str(example) for example in intent.examples if str(example).strip()]
            if intent.description:
                utterances.append(intent.description)
            texts.extend(utterances)
            labels.extend([label] * len(utterances))
        matrix = np.asarray(embed_texts(texts), dtype=np.float32) if texts else np.zeros((0, 384), np.float32)
        _index = _ExampleIndex(version, names, np.asarray(labels, dtype=np.int32), matrix)
        return _index


def _confidence(best: float, second: float) -> float:
    """Map the winning score and its margin to [0, 1]; calibrated on the dev dataset (see README)."""
    raw = 1.6 * (best - 0.35) + 2.5 * (best - second)
    return float(min(1.0, max(0.0, raw)))


def score_intents(message_vector: list[float]) -> dict[str, float]:
    """Score every active intent for a message embedding: mean cosine of its closest examples."""
    index = _example_index()
    if not index.names:
        return {}
    similarities = index.matrix @ np.asarray(message_vector, dtype=np.float32)
    scores: dict[str, float] = {}
    for label, name in enumerate(index.names):
        own = np.sort(similarities[index.labels == label])[::-1][:TOP_EXAMPLES]
        scores[name] = float(own.mean()) if own.size else 0.0
    return scores


def offered_intent(agent_message: str) -> str | None:
    """The intent a "yes" to this agent message would carry, if the message offered something."""
    if "?" not in agent_message:
        return None
    for pattern, intent in OFFER_PATTERNS:
        if pattern.search(agent_message):
            return intent
    return None


def is_short_affirmative(message: str) -> bool:
    return len(message.split()) <= 8 and bool(AFFIRMATIVE_RE.match(message))


def classify_intent(
    message: str, message_vector: list[float], *, last_agent_message: str = ""
) -> IntentPrediction:
    """Predict the intent of a prospect message, using the agent's last message for short replies."""
    scores = score_intents(message_vector)
    if is_short_affirmative(message):
        offered = offered_intent(last_agent_message)
        if offered and offered in scores:
            return IntentPrediction(offered, 0.85, scores, "context")
    if not scores:
        return IntentPrediction("", 0.0, scores, "knn")
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    best_name, best = ranked[0]
    second = ranked[1][1] if len(ranked) > 1 else 0.0
    return IntentPrediction(best_name, _confidence(best, second), scores, "knn")
