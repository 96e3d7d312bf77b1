"""Intent classification: the trained reader's calibrated probabilities, read in the conversation's context.

The active reader (``conversations/reader``), trained on the intents' examples, gives each intent a
probability. Until a reader is trained (a fresh database), the classifier falls back to nearest
neighbours over the examples: each intent's examples (and its description) are embedded once, when
the intent is saved, and stored (``IntentExample``); every process loads the stored vectors, and a
message is scored
against every intent by the mean of its best matching examples. The winner's margin over the
runner-up becomes a probability of being right through a logistic curve fitted, whenever the index
is built, by leave-one-out over the examples themselves (each example classified by all the others).

Short replies are read in context: "yes, let's do it" takes the intent of what the agent's last
message offered, and an elliptical follow-up ("what about Portuguese?", "and for 300 seats?") keeps
the intent of the prospect message it follows unless it is confidently about something else (a
follow-up that only swaps the plan or head count never is).
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from company.vocabulary import EMPTY_VOCABULARY, Vocabulary
from conversations.agent.entities import gazetteer_entities
from conversations.agent.reference_data import IntentsVersion, intents_version
from conversations.intents import intent_examples_embed_missing
from conversations.models import IntentExample
from conversations.reader.artefact import Reader
from conversations.reader.selectors import reader_for
from knowledge.embeddings import embed_query
from knowledge.languages import DEFAULT_LANGUAGE
from knowledge.models import EMBEDDING_DIMENSIONS

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

# An elliptical follow-up is short and either opens like a continuation or has no verb of its own.
FOLLOW_UP_MAX_WORDS = 7
FOLLOW_UP_OPENER_RE = re.compile(
    r"^\W*(what about|how about|and|also|or|plus|same (for|with)|what if|even)\b", re.IGNORECASE
)
# Auxiliaries and the verbs prospects use most: enough to tell "Portuguese too?" from "Do you
# support Portuguese?" without a part-of-speech tagger.
VERB_RE = re.compile(
    r"\b(am|is|are|was|were|be|been|being|'s|'re|'m|do|does|did|done|can|could|would|will|should|"
    r"shall|may|might|must|have|has|had|need|needs|want|wants|get|gets|got|use|uses|work|works|"
    r"cost|costs|pay|support|supports|offer|offers|sync|integrate|connect|try|buy|sign|send|show|"
    r"tell|give|let|book|meet|talk|call|think|like|love|hate|know|see|help|include|includes|go|"
    r"stop|remove|cancel|switch|move|start|run|look|looks|sounds?|seems?)\b"
    r"|\w+n't\b",
    re.IGNORECASE,
)
# A follow-up made only of these words (plans, head counts, connectives) just swaps a slot of the
# earlier question ("And Growth?", "and for 300 seats?", "what about the top tier?"), so its
# topic is the earlier one. The company's plan names and unit join these words (``is_slot_substitution``).
SLOT_WORD_RE = re.compile(
    r"(what|about|how|and|also|or|plus|same|if|even|then|too|the|an?|for|of|in|on|with|to|our|my|we|us"
    r"|just|only|maybe|instead|please"  # connectives and function words
    r"|plans?|package|tier|edition|one|version"  # plans
    r"|seats?|users?|licen[cs]es?|people|team|members|employees|staff|whole|entire|\d+"  # head counts
    r"|monthly|annual|annually|yearly|month|year|billing|billed)"  # billing cycle
)
# How far back a chain of follow-ups ("and for 300?" -> "and 500?") is followed to its anchor.
FOLLOW_UP_MAX_CHAIN = 3
# A follow-up keeps its own intent when the classifier is at least this sure of it. Higher than for a
# whole message: the calibration is fitted on full utterances, and a two-word fragment ("And
# Growth?") carries too little evidence for its margin to mean as much.
FOLLOW_UP_OWN_CONFIDENCE = 0.9
# ...but one naming a subject of its own (not just another plan or head count) needs less.
NEW_TOPIC_CONFIDENCE = 0.5
# No data measures the context rules, so their confidence is a stated prior, not a fitted value.
CONTEXT_CONFIDENCE = 0.85


@dataclass(frozen=True)
class Calibration:
    """Logistic map from the winner's score margin to the probability that the intent is right."""

    intercept: float
    slope: float

    def probability(self, margin: float) -> float:
        return 1.0 / (1.0 + math.exp(-(self.intercept + self.slope * margin)))


# Leave-one-out fit on the demo intents (514 examples, 80% classified right); used when the active
# intents have too few examples, or too few mistakes, to fit a curve of their own.
DEFAULT_CALIBRATION = Calibration(intercept=-0.27, slope=17.9)
MIN_CALIBRATION_SAMPLES = 30


@dataclass(frozen=True)
class IntentPrediction:
    intent: str
    confidence: float
    scores: dict[str, float]
    # "reader" (the trained reader) | "knn" (no reader yet) | "context" (a yes to the agent's offer) |
    # "follow_up" (inherited)
    method: str
    # For an elliptical follow-up that continues the earlier prospect message's topic (its intent was
    # inherited, or agrees): that message, so entities and search can read the two together.
    anchor: str = ""

    @property
    def runner_up(self) -> tuple[str, float]:
        ranked = sorted(self.scores.items(), key=lambda item: item[1], reverse=True)
        return ranked[1] if len(ranked) > 1 else ("", 0.0)


class IntentIndex:
    """The active intents' stored example embeddings and calibration, as of one version. Take it once
    per turn (``intent_index()`` checks it is current with a query, unless given the version the turn
    read) and pass it along."""

    def __init__(
        self,
        version: IntentsVersion,
        names: list[str],
        labels: np.ndarray,
        matrix: np.ndarray,
        calibration: Calibration,
        languages: np.ndarray,
        reader: Reader | None = None,
    ) -> None:
        self.version = version
        # The trained reader of ``version.reader``: when set, it scores intents instead of the examples.
        self.reader = reader
        self.names = names
        self.labels = labels
        self.matrix = matrix
        self.calibration = calibration
        self.languages = languages

    def comparable(self, language: str) -> np.ndarray:
        """Which examples a message in ``language`` is compared with: English ones and its own."""
        return (self.languages == DEFAULT_LANGUAGE) | (self.languages == language)


_index: IntentIndex | None = None
_index_lock = threading.Lock()


def _label_scores(similarities: np.ndarray, labels: np.ndarray, label_count: int) -> np.ndarray:
    """Per-label mean of the top similarities; ``similarities`` is (rows, examples)."""
    scores = np.zeros((similarities.shape[0], label_count), dtype=np.float32)
    for label in range(label_count):
        own = similarities[:, labels == label]
        if own.shape[1]:
            top = -np.sort(-own, axis=1)[:, :TOP_EXAMPLES]
            # Rows excluded from their own label carry -inf; average only the finite ones.
            finite = np.isfinite(top)
            counts = np.maximum(finite.sum(axis=1), 1)
            scores[:, label] = np.where(finite, top, 0.0).sum(axis=1) / counts
    return scores


def leave_one_out_margins(
    matrix: np.ndarray,
    labels: np.ndarray,
    is_example: np.ndarray,
    label_count: int,
    languages: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Classify each example utterance by all the others: (winner's margin, whether it was right).

    With ``languages``, each example is compared only with English examples and its own
    language's, as messages are."""
    rows = np.flatnonzero(is_example)
    similarities = matrix[rows] @ matrix.T
    similarities[np.arange(len(rows)), rows] = -np.inf
    if languages is not None:
        comparable = (languages[None, :] == DEFAULT_LANGUAGE) | (
            languages[None, :] == languages[rows][:, None]
        )
        similarities[~comparable] = -np.inf
    scores = _label_scores(similarities, labels, label_count)
    ranked = np.sort(scores, axis=1)
    margins = ranked[:, -1] - ranked[:, -2] if label_count > 1 else ranked[:, -1]
    correct = scores.argmax(axis=1) == labels[rows]
    return margins.astype(np.float64), correct


def fit_calibration(margins: np.ndarray, correct: np.ndarray) -> Calibration:
    """Logistic regression of correctness on margin (Newton steps, a little L2 so a curve with no
    mistakes to learn from stays finite); the default when the data cannot support a fit."""
    if len(margins) < MIN_CALIBRATION_SAMPLES or correct.all() or not correct.any():
        return DEFAULT_CALIBRATION
    features = np.column_stack([np.ones_like(margins), margins])
    target = correct.astype(np.float64)
    weights = np.zeros(2)
    penalty = np.diag([0.0, 1e-2])
    for _ in range(50):
        predicted = 1.0 / (1.0 + np.exp(-features @ weights))
        gradient = features.T @ (predicted - target) + penalty @ weights
        hessian = (features * (predicted * (1 - predicted))[:, None]).T @ features + penalty
        step = np.linalg.solve(hessian, gradient)
        weights -= step
        if np.abs(step).max() < 1e-8:
            break
    # A larger margin must never mean less confidence; if the fit says otherwise, trust the default.
    if not np.isfinite(weights).all() or weights[1] <= 0:
        return DEFAULT_CALIBRATION
    return Calibration(intercept=float(weights[0]), slope=float(weights[1]))


def _stored_examples(model: str) -> list[tuple[str, list[float], bool, str]]:
    """(intent name, embedding, is description) of every active intent, embedding any intent whose
    examples have no rows for ``model`` yet (a new embedding backend, rows written before this
    table existed)."""
    intent_examples_embed_missing(model)
    rows = (
        IntentExample.objects.filter(intent__is_active=True, embedding_model=model)
        .order_by("intent__name", "id")
        .values_list("intent__name", "embedding", "is_description", "language")
    )
    return list(rows)


def intent_index(version: IntentsVersion | None = None) -> IntentIndex:
    """The stored example embeddings, reloaded when staff edit an intent (or the model changes).

    ``version`` is the intents' version the caller has just read (``reference_data``); without it,
    it is read here (one query).
    """
    global _index
    version = version or intents_version()
    if _index is not None and _index.version == version:
        return _index
    with _index_lock:
        if _index is not None and _index.version == version:
            return _index
        rows = _stored_examples(version.model)
        names = sorted({row[0] for row in rows})
        label_of = {name: label for label, name in enumerate(names)}
        matrix = (
            np.asarray([row[1] for row in rows], dtype=np.float32)
            if rows
            else np.zeros((0, EMBEDDING_DIMENSIONS), np.float32)
        )
        label_array = np.asarray([label_of[row[0]] for row in rows], dtype=np.int32)
        is_example = np.asarray([not row[2] for row in rows], dtype=bool)
        languages = np.asarray([row[3] for row in rows], dtype="<U8")
        calibration = DEFAULT_CALIBRATION
        if len(names) > 1 and is_example.any():
            calibration = fit_calibration(
                *leave_one_out_margins(matrix, label_array, is_example, len(names), languages)
            )
        # The version is read again: the lazy sync above may have added rows.
        current = intents_version()
        reader = reader_for(current.reader)
        _index = IntentIndex(current, names, label_array, matrix, calibration, languages, reader)
        return _index


def intent_calibration() -> Calibration:
    """The margin-to-probability curve in use for the active intents."""
    return intent_index().calibration


def _scores(
    index: IntentIndex, message_vector: list[float], language: str = DEFAULT_LANGUAGE, text: str = ""
) -> dict[str, float]:
    """Per active intent: the reader's probability, or (no reader yet) the nearest examples' score."""
    if not index.names:
        return {}
    if index.reader is not None:
        read = index.reader.read_intents(message_vector, text)
        active = {name: read[name] for name in index.names if name in read}
        total = sum(active.values())
        if total > 0:
            return {name: probability / total for name, probability in active.items()}
    similarities = (index.matrix @ np.asarray(message_vector, dtype=np.float32))[None, :]
    similarities[:, ~index.comparable(language)] = -np.inf
    scores = _label_scores(similarities, index.labels, len(index.names))[0]
    return {name: float(scores[label]) for label, name in enumerate(index.names)}


def score_prediction(
    message_vector: list[float],
    *,
    text: str = "",
    language: str = DEFAULT_LANGUAGE,
    index: IntentIndex | None = None,
) -> IntentPrediction:
    """The intent of a text read on its own (no conversation context)."""
    index = index or intent_index()
    return _prediction(_scores(index, message_vector, language, text), index)


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


def is_elliptical_follow_up(message: str) -> bool:
    """A few words that lean on what came before: "what about Portuguese?", "and for 300 seats?"."""
    words = message.split()
    if not words or len(words) > FOLLOW_UP_MAX_WORDS or is_short_affirmative(message):
        return False
    return bool(FOLLOW_UP_OPENER_RE.match(message)) or not VERB_RE.search(message)


def is_slot_substitution(message: str, vocabulary: Vocabulary = EMPTY_VOCABULARY) -> bool:
    """An elliptical follow-up that only names another plan or head count: "And Growth?"."""
    company_words = {
        word
        for spelling in (*vocabulary.plan_spellings, *vocabulary.unit)
        for word in re.findall(r"[a-z']+|\d+", spelling.lower())
    }
    words = re.findall(r"[a-z']+|\d+", message.lower().replace(",", ""))
    return bool(words) and all(SLOT_WORD_RE.fullmatch(word) or word in company_words for word in words)


def follow_up_anchor(earlier_prospect_messages: Sequence[str]) -> str:
    """The prospect message a follow-up leans on: the latest one that is not itself a follow-up."""
    recent = [text for text in reversed(earlier_prospect_messages) if text.strip()][:FOLLOW_UP_MAX_CHAIN]
    for text in recent:
        if not is_elliptical_follow_up(text):
            return text
    return recent[-1] if recent else ""


def _prediction(scores: dict[str, float], index: IntentIndex) -> IntentPrediction:
    """The best-scoring intent; its confidence is the reader's probability among ``scores`` (or, with
    no reader, the calibrated margin over the runner-up)."""
    method = "reader" if index.reader is not None else "knn"
    if not scores:
        return IntentPrediction("", 0.0, scores, method)
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    best_name, best = ranked[0]
    if index.reader is not None:
        total = sum(scores.values())
        return IntentPrediction(best_name, round(best / total if total else 0.0, 4), scores, method)
    second = ranked[1][1] if len(ranked) > 1 else 0.0
    confidence = index.calibration.probability(best - second)
    return IntentPrediction(best_name, round(confidence, 4), scores, method)


def restrict_prediction(
    prediction: IntentPrediction, allowed: set[str], *, index: IntentIndex | None = None
) -> IntentPrediction:
    """The best of the ``allowed`` intents, with its confidence from its margin over the others."""
    scores = {name: score for name, score in prediction.scores.items() if name in allowed}
    if not scores or prediction.intent in scores:
        return prediction
    restricted = _prediction(scores, index or intent_index())
    return replace(restricted, scores=prediction.scores, method=prediction.method, anchor=prediction.anchor)


def names_new_subject(message: str, anchor: str, vocabulary: Vocabulary = EMPTY_VOCABULARY) -> bool:
    """Whether a follow-up names something (a tool, a standard, a topic) its anchor did not."""
    return bool(set(gazetteer_entities(message, vocabulary)) - set(gazetteer_entities(anchor, vocabulary)))


def classify_intent(
    message: str,
    message_vector: list[float],
    *,
    last_agent_message: str = "",
    earlier_prospect_messages: Sequence[str] = (),
    focus_vectors: Sequence[list[float]] = (),
    focus_texts: Sequence[str] = (),
    language: str = DEFAULT_LANGUAGE,
    index: IntentIndex | None = None,
    vocabulary: Vocabulary = EMPTY_VOCABULARY,
) -> IntentPrediction:
    """Predict the intent of a prospect message, reading short replies against what came before.

    ``earlier_prospect_messages`` are the prospect's earlier messages in the conversation, oldest
    first. ``focus_vectors`` are embeddings of the message's main question: in a long message its
    greetings and context dilute the whole text's embedding, so the question's scores are averaged in.
    """
    index = index or intent_index()
    scores = _scores(index, message_vector, language, message)
    if focus_vectors:
        texts = list(focus_texts) or [""] * len(focus_vectors)
        focused = [
            _scores(index, vector, language, text) for vector, text in zip(focus_vectors, texts, strict=True)
        ]
        scores = {
            name: (score + sum(f[name] for f in focused) / len(focused)) / 2 for name, score in scores.items()
        }
    if is_short_affirmative(message):
        offered = offered_intent(last_agent_message)
        if offered and offered in scores:
            return IntentPrediction(offered, CONTEXT_CONFIDENCE, scores, "context")
    own = _prediction(scores, index)
    # A yes to an offer we could not read leans on the earlier topic like any elliptical reply.
    leans_back = is_elliptical_follow_up(message) or is_short_affirmative(message)
    anchor = follow_up_anchor(earlier_prospect_messages) if leans_back else ""
    if not anchor:
        return own
    earlier = _prediction(_scores(index, embed_query(anchor), language, anchor), index)
    if earlier.intent == own.intent:
        return replace(own, anchor=anchor)
    if not earlier.intent or (
        own.confidence >= FOLLOW_UP_OWN_CONFIDENCE and not is_slot_substitution(message, vocabulary)
    ):
        return own
    # A follow-up that names a subject of its own ("what about SSO?" after prices) changes topic.
    if not is_slot_substitution(message, vocabulary) and (
        own.confidence >= NEW_TOPIC_CONFIDENCE or names_new_subject(message, anchor, vocabulary)
    ):
        return own
    # The follow-up is as sure as its anchor, never more than the context rules' prior.
    confidence = min(earlier.confidence, CONTEXT_CONFIDENCE)
    return IntentPrediction(earlier.intent, confidence, scores, "follow_up", anchor=anchor)
