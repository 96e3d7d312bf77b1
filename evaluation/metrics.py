"""Evaluation metrics for golden-dataset runs (SPEC.md, "Evaluation contract").

Each function takes plain values so it can be tested without a database; :func:`summarize`
computes the whole metrics block from per-case records.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from rouge_score import rouge_scorer
from sacrebleu.metrics import BLEU

METRIC_NAMES = (
    "intent_accuracy",
    "intent_macro_f1",
    "sentiment_accuracy",
    "entity_precision",
    "entity_recall",
    "entity_f1",
    "action_accuracy",
    "response_bleu",
    "response_rouge_l",
    "response_semantic_similarity",
    "key_fact_recall",
    "retrieval_hit_rate",
    "retrieval_mrr",
    "unsupported_claim_rate",
    "confidence_ece",
    "latency_p50_ms",
    "latency_p95_ms",
)

_WHITESPACE_RE = re.compile(r"\s+")
_BLEU = BLEU(effective_order=True)
_ROUGE = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)


@dataclass
class CaseOutcome:
    """What one case expected and what the agent produced, reduced to what the metrics need."""

    case_id: str
    expected_intent: str
    predicted_intent: str
    expected_sentiment: str
    predicted_sentiment: str
    expected_entities: list[str]
    predicted_entities: list[str]
    expected_action: str
    predicted_action: str
    expected_draft: str
    predicted_draft: str
    key_facts: list[str] = field(default_factory=list)
    expected_sources: list[str] = field(default_factory=list)
    retrieved_documents: list[str] = field(default_factory=list)
    unsupported_claims: list[str] = field(default_factory=list)
    confidence: float = 0.0
    latency_ms: float = 0.0

    @property
    def intent_correct(self) -> bool:
        return self.predicted_intent == self.expected_intent

    @property
    def sentiment_correct(self) -> bool:
        return self.predicted_sentiment == self.expected_sentiment

    @property
    def action_correct(self) -> bool:
        return self.predicted_action == self.expected_action


def normalize_entity(entity: str) -> str:
    """Entities compare after lower-casing, trimming and collapsing inner whitespace."""
    return _WHITESPACE_RE.sub(" ", str(entity)).strip().lower()


def _mean(values: Iterable[float]) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0


def accuracy(pairs: Iterable[tuple[str, str]]) -> float:
    """Share of (expected, predicted) pairs that are equal."""
    return _mean(float(expected == predicted) for expected, predicted in pairs)


def macro_f1(pairs: Sequence[tuple[str, str]]) -> float:
    """Unweighted mean F1 over every label that was expected or predicted."""
    labels = {label for pair in pairs for label in pair}
    scores = []
    for label in sorted(labels):
        tp = sum(1 for e, p in pairs if e == label and p == label)
        fp = sum(1 for e, p in pairs if e != label and p == label)
        fn = sum(1 for e, p in pairs if e == label and p != label)
        scores.append(_f1(tp, fp, fn))
    return _mean(scores)


def _f1(tp: int, fp: int, fn: int) -> float:
    if tp == 0:
        return 0.0
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    return 2 * precision * recall / (precision + recall)


def entity_scores(cases: Iterable[tuple[Sequence[str], Sequence[str]]]) -> tuple[float, float, float]:
    """Micro-averaged (precision, recall, F1) of predicted entity sets against expected ones.

    A case with no expected and no predicted entities contributes nothing. With no predictions at
    all precision is defined as 1.0 (nothing claimed, nothing wrong); likewise recall with nothing
    expected.
    """
    tp = fp = fn = 0
    for expected, predicted in cases:
        expected_set = {normalize_entity(e) for e in expected if normalize_entity(e)}
        predicted_set = {normalize_entity(p) for p in predicted if normalize_entity(p)}
        tp += len(expected_set & predicted_set)
        fp += len(predicted_set - expected_set)
        fn += len(expected_set - predicted_set)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def sentence_bleu(hypothesis: str, reference: str) -> float:
    """sacrebleu sentence BLEU on a 0-1 scale."""
    if not hypothesis.strip() or not reference.strip():
        return 0.0
    return _BLEU.sentence_score(hypothesis, [reference]).score / 100.0


def rouge_l(hypothesis: str, reference: str) -> float:
    """ROUGE-L F-measure (0-1)."""
    if not hypothesis.strip() or not reference.strip():
        return 0.0
    return _ROUGE.score(reference, hypothesis)["rougeL"].fmeasure


def key_fact_recall(cases: Iterable[tuple[Sequence[str], str]]) -> float | None:
    """Share of all expected key facts found, case-insensitively, in the drafts (micro-averaged).

    None when the dataset lists no key facts: there is nothing to measure.
    """
    found = total = 0
    for facts, draft in cases:
        lowered = draft.lower()
        for fact in facts:
            total += 1
            found += fact.lower() in lowered
    return found / total if total else None


def reciprocal_rank(expected_sources: Sequence[str], retrieved_documents: Sequence[str]) -> float:
    """1/rank of the first retrieved document that is an expected source (0 when none is)."""
    ranked = list(dict.fromkeys(retrieved_documents))
    wanted = set(expected_sources)
    for rank, document in enumerate(ranked, start=1):
        if document in wanted:
            return 1.0 / rank
    return 0.0


def expected_calibration_error(
    confidences: Sequence[float], correct: Sequence[bool], bins: int = 10
) -> float:
    """ECE over equal-width confidence bins: sum of |accuracy - mean confidence| weighted by bin size."""
    if not confidences:
        return 0.0
    total = len(confidences)
    error = 0.0
    for index in range(bins):
        low, high = index / bins, (index + 1) / bins
        members = [
            (c, ok)
            for c, ok in zip(confidences, correct, strict=True)
            if (low < c <= high) or (index == 0 and c <= high)
        ]
        if members:
            bin_accuracy = _mean(float(ok) for _, ok in members)
            bin_confidence = _mean(c for c, _ in members)
            error += len(members) / total * abs(bin_accuracy - bin_confidence)
    return error


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation between closest ranks."""
    if not values:
        return 0.0
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    lower, upper = math.floor(position), math.ceil(position)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def _mean_or_none(values: Iterable[float]) -> float | None:
    values = list(values)
    return _mean(values) if values else None


def summarize(
    cases: Sequence[CaseOutcome],
    *,
    semantic_similarity: Callable[[list[str], list[str]], list[float]] | None = None,
) -> dict[str, float | None]:
    """The full metrics block of an evaluation report, rounded to 4 decimals.

    A metric is None when the dataset gives nothing to measure it on (no key facts, no sources).

    ``semantic_similarity`` maps (hypotheses, references) to cosine similarities; it is injected so
    the metrics stay independent of the embedding model.
    """
    with_drafts = [case for case in cases if case.expected_draft]
    similarities = (
        semantic_similarity(
            [case.predicted_draft for case in with_drafts], [case.expected_draft for case in with_drafts]
        )
        if semantic_similarity and with_drafts
        else []
    )
    with_sources = [case for case in cases if case.expected_sources]
    precision, recall, f1 = entity_scores((c.expected_entities, c.predicted_entities) for c in cases)
    latencies = [case.latency_ms for case in cases]
    metrics = {
        "intent_accuracy": accuracy((c.expected_intent, c.predicted_intent) for c in cases),
        "intent_macro_f1": macro_f1([(c.expected_intent, c.predicted_intent) for c in cases]),
        "sentiment_accuracy": accuracy((c.expected_sentiment, c.predicted_sentiment) for c in cases),
        "entity_precision": precision,
        "entity_recall": recall,
        "entity_f1": f1,
        "action_accuracy": accuracy((c.expected_action, c.predicted_action) for c in cases),
        "response_bleu": _mean(sentence_bleu(c.predicted_draft, c.expected_draft) for c in with_drafts),
        "response_rouge_l": _mean(rouge_l(c.predicted_draft, c.expected_draft) for c in with_drafts),
        "response_semantic_similarity": _mean(similarities),
        "key_fact_recall": key_fact_recall((c.key_facts, c.predicted_draft) for c in cases),
        "retrieval_hit_rate": _mean_or_none(
            float(reciprocal_rank(c.expected_sources, c.retrieved_documents) > 0) for c in with_sources
        ),
        "retrieval_mrr": _mean_or_none(
            reciprocal_rank(c.expected_sources, c.retrieved_documents) for c in with_sources
        ),
        "unsupported_claim_rate": _mean(float(bool(c.unsupported_claims)) for c in cases),
        "confidence_ece": expected_calibration_error(
            [c.confidence for c in cases], [c.intent_correct and c.action_correct for c in cases]
        ),
        "latency_p50_ms": percentile(latencies, 50),
        "latency_p95_ms": percentile(latencies, 95),
    }
    return {name: None if metrics[name] is None else round(metrics[name], 4) for name in METRIC_NAMES}
