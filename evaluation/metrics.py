"""Evaluation metrics for golden-dataset runs (SPEC.md, "Evaluation contract").

Each function takes plain values so it can be tested without a database; :func:`summarize`
computes the whole metrics block from per-case records.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rouge_score import rouge_scorer
from sacrebleu.metrics import BLEU

from conversations.agent.draft_checks import contradictions, duplicate_sentences, has_markdown
from knowledge.languages import DEFAULT_LANGUAGE

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
    "complete_answer_rate",
    "forbidden_content_rate",
    "reply_language_accuracy",
    "review_flag_recall",
    "review_flag_precision",
    "review_flag_rate",
    "unflagged_failure_rate",
    "sendable_rate",
    "confidence_ece",
    "latency_p50_ms",
    "latency_p95_ms",
)

# Metrics on a 0-1 scale (everything but the latencies), e.g. for a chart.
QUALITY_METRIC_NAMES = tuple(name for name in METRIC_NAMES if not name.endswith("_ms"))
DEFAULT_REPLY_LANGUAGE = DEFAULT_LANGUAGE

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
    # The reply language the case asks for and the one the draft was detected in ("" for no draft).
    expected_language: str = DEFAULT_REPLY_LANGUAGE
    reply_language: str = DEFAULT_REPLY_LANGUAGE
    forbidden: list[str] = field(default_factory=list)
    # None when the case does not say whether the turn needs review.
    needs_review: bool | None = None
    flagged: bool = False
    flag_reasons: list[str] = field(default_factory=list)

    @property
    def intent_correct(self) -> bool:
        return self.predicted_intent == self.expected_intent

    @property
    def missing_key_facts(self) -> list[str]:
        return missing_key_facts(self.key_facts, self.predicted_draft)

    @property
    def forbidden_found(self) -> list[str]:
        return forbidden_found(self.forbidden, self.predicted_draft)

    @property
    def language_correct(self) -> bool:
        return self.reply_language == self.expected_language

    @property
    def failure_reasons(self) -> list[str]:
        """Why the turn failed: a wrong primary action, a missing key fact, forbidden content or a
        reply in the wrong language (empty when it did not)."""
        checks = {
            "action": not self.action_correct,
            "key_facts": bool(self.missing_key_facts),
            "forbidden": bool(self.forbidden_found),
            "language": not self.language_correct,
        }
        return [name for name, failed in checks.items() if failed]

    @property
    def failed(self) -> bool:
        return bool(self.failure_reasons)

    @property
    def unsendable_reasons(self) -> list[str]:
        """Why a rep could not send the draft as it stands: an expected fact missing, forbidden content,
        the wrong language, two sentences that contradict each other, a sentence said twice, or
        Markdown markup (empty when it could be sent)."""
        checks = {
            "key_facts": bool(self.missing_key_facts),
            "forbidden": bool(self.forbidden_found),
            "language": not self.language_correct,
            "contradiction": bool(contradictions(self.predicted_draft)),
            "duplicate_sentence": bool(duplicate_sentences(self.predicted_draft)),
            "markdown": has_markdown(self.predicted_draft),
        }
        return [name for name, failed in checks.items() if failed]

    @property
    def sendable(self) -> bool:
        return not self.unsendable_reasons

    @property
    def unflagged_failure(self) -> bool:
        """A failure no person is asked to look at: the costly kind."""
        return self.failed and not self.flagged

    def checks(self) -> dict[str, Any]:
        """The per-case verdicts behind the metrics, for the report and the stored case result."""
        return {
            "language": {
                "expected": self.expected_language,
                "detected": self.reply_language,
                "match": self.language_correct,
            },
            "flag": {
                "flagged": self.flagged,
                "reasons": self.flag_reasons,
                "expected": self.needs_review,
            },
            "missing_key_facts": self.missing_key_facts,
            "forbidden_found": self.forbidden_found,
            "failed": self.failed,
            "failure_reasons": self.failure_reasons,
            "sendable": self.sendable,
            "unsendable_reasons": self.unsendable_reasons,
            "contradictions": contradictions(self.predicted_draft),
            "duplicate_sentences": duplicate_sentences(self.predicted_draft),
            "unflagged_failure": self.unflagged_failure,
        }

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


def _mean_or_none(values: Iterable[float]) -> float | None:
    values = list(values)
    return _mean(values) if values else None


def _round_or_none(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


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


def missing_key_facts(facts: Sequence[str], draft: str) -> list[str]:
    """The key facts the draft does not hold (case-insensitive substring, as in key-fact recall)."""
    lowered = draft.lower()
    return [fact for fact in facts if fact.lower() not in lowered]


def forbidden_found(forbidden: Sequence[str], draft: str) -> list[str]:
    """The forbidden strings the draft holds (case-insensitive substring)."""
    lowered = draft.lower()
    return [text for text in forbidden if text.lower() in lowered]


def complete_answer_rate(cases: Iterable[tuple[Sequence[str], str]]) -> float | None:
    """Over (key facts, draft) cases that list key facts, the share whose draft holds every one.

    None when no case lists key facts.
    """
    return _mean_or_none(float(not missing_key_facts(facts, draft)) for facts, draft in cases if facts)


def forbidden_content_rate(cases: Iterable[tuple[Sequence[str], str]]) -> float | None:
    """Over (forbidden strings, draft) cases that list forbidden strings, the share whose draft holds
    at least one (lower is better). None when no case lists any."""
    return _mean_or_none(
        float(bool(forbidden_found(forbidden, draft))) for forbidden, draft in cases if forbidden
    )


def reply_language_accuracy(pairs: Iterable[tuple[str, str]]) -> float | None:
    """Over (expected, detected) reply languages where a language other than English is expected,
    the share of drafts written in it. None when every case expects English: an English-only agent
    would score perfectly there, so the figure would say nothing."""
    return _mean_or_none(
        float(expected == detected) for expected, detected in pairs if expected != DEFAULT_REPLY_LANGUAGE
    )


def _review_labels(pairs: Iterable[tuple[bool | None, bool]]) -> list[tuple[bool, bool]] | None:
    # A dataset that never says whether a case needs review has nothing to measure; once any case
    # says, an unlabelled case counts as not needing it.
    pairs = list(pairs)
    if all(needs_review is None for needs_review, _ in pairs):
        return None
    return [(bool(needs_review), flagged) for needs_review, flagged in pairs]


def review_flag_recall(pairs: Iterable[tuple[bool | None, bool]]) -> float | None:
    """Over (needs_review, flagged) turns, the share of those needing review that were flagged.

    None when the dataset labels no case as needing review.
    """
    labelled = _review_labels(pairs)
    if labelled is None:
        return None
    return _mean_or_none(float(flagged) for needs_review, flagged in labelled if needs_review)


def review_flag_precision(pairs: Iterable[tuple[bool | None, bool]]) -> float | None:
    """Over flagged turns, the share whose case needs review. None when no turn was flagged, or the
    dataset never says whether a case needs review."""
    labelled = _review_labels(pairs)
    if labelled is None:
        return None
    return _mean_or_none(float(needs_review) for needs_review, flagged in labelled if flagged)


def review_flag_rate(flags: Iterable[bool]) -> float | None:
    """The share of turns flagged for a person's review: what a rep has to read (lower is better, as
    long as ``unflagged_failure_rate`` stays low)."""
    return _mean_or_none(float(flagged) for flagged in flags)


def unflagged_failure_rate(cases: Sequence[CaseOutcome]) -> float | None:
    """Over all cases, the share that failed (see :attr:`CaseOutcome.failure_reasons`) without a
    ``FLAG_FOR_HUMAN_REVIEW`` (lower is better)."""
    return _mean_or_none(float(case.unflagged_failure) for case in cases)


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


def summarize(
    cases: Sequence[CaseOutcome],
    *,
    semantic_similarity: Callable[[list[str], list[str]], list[float]] | None = None,
) -> dict[str, float | None]:
    """The full metrics block of an evaluation report, rounded to 4 decimals.

    A metric is None when the dataset gives nothing to measure it on (no sentiment, entity or draft
    labels, no key facts, no sources, no forbidden strings, no reply language but English, no review
    labels, no flagged turn).

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
    with_sentiment = [case for case in cases if case.expected_sentiment]
    # A dataset that labels no entity at all says nothing about entities (a case may label none).
    entities_labelled = any(case.expected_entities for case in cases)
    precision, recall, f1 = (
        entity_scores((c.expected_entities, c.predicted_entities) for c in cases)
        if entities_labelled
        else (None, None, None)
    )
    latencies = [case.latency_ms for case in cases]
    metrics = {
        "intent_accuracy": accuracy((c.expected_intent, c.predicted_intent) for c in cases),
        "intent_macro_f1": macro_f1([(c.expected_intent, c.predicted_intent) for c in cases]),
        "sentiment_accuracy": (
            accuracy((c.expected_sentiment, c.predicted_sentiment) for c in with_sentiment)
            if with_sentiment
            else None
        ),
        "entity_precision": precision,
        "entity_recall": recall,
        "entity_f1": f1,
        "action_accuracy": accuracy((c.expected_action, c.predicted_action) for c in cases),
        "response_bleu": _mean_or_none(
            sentence_bleu(c.predicted_draft, c.expected_draft) for c in with_drafts
        ),
        "response_rouge_l": _mean_or_none(rouge_l(c.predicted_draft, c.expected_draft) for c in with_drafts),
        "response_semantic_similarity": _mean_or_none(similarities),
        "key_fact_recall": key_fact_recall((c.key_facts, c.predicted_draft) for c in cases),
        "retrieval_hit_rate": _mean_or_none(
            float(reciprocal_rank(c.expected_sources, c.retrieved_documents) > 0) for c in with_sources
        ),
        "retrieval_mrr": _mean_or_none(
            reciprocal_rank(c.expected_sources, c.retrieved_documents) for c in with_sources
        ),
        "unsupported_claim_rate": _mean(float(bool(c.unsupported_claims)) for c in cases),
        "complete_answer_rate": complete_answer_rate((c.key_facts, c.predicted_draft) for c in cases),
        "forbidden_content_rate": forbidden_content_rate((c.forbidden, c.predicted_draft) for c in cases),
        "reply_language_accuracy": reply_language_accuracy(
            (c.expected_language, c.reply_language) for c in cases
        ),
        "review_flag_recall": review_flag_recall((c.needs_review, c.flagged) for c in cases),
        "review_flag_precision": review_flag_precision((c.needs_review, c.flagged) for c in cases),
        "review_flag_rate": review_flag_rate(c.flagged for c in cases),
        "unflagged_failure_rate": unflagged_failure_rate(cases),
        "sendable_rate": _mean_or_none(float(c.sendable) for c in cases),
        "confidence_ece": expected_calibration_error(
            [c.confidence for c in cases], [c.intent_correct and c.action_correct for c in cases]
        ),
        "latency_p50_ms": percentile(latencies, 50),
        "latency_p95_ms": percentile(latencies, 95),
    }
    return {name: _round_or_none(metrics[name]) for name in METRIC_NAMES}
