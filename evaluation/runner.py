"""Running a golden dataset through the agent and storing the run.

Each case goes through :func:`conversations.services.turn_process`, the same code path as
``POST /api/process_message``, inside a transaction that is rolled back, so an evaluation never
leaves conversations, messages or CRM interactions behind. Only the ``EvalRun`` and its case
results are kept.

With a model brain, the circuit breaker is held open-ended for the run (every case asks the model,
so each case measures the model, not the breaker), each case records why it fell back if it did, the
metrics are also given separately for the cases the model answered and those the local brain
answered instead, and the run names the model that really answered.
"""

from __future__ import annotations

import logging
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from time import perf_counter
from typing import Any

import numpy as np
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from apikeys.access import SYSTEM
from conversations.agent.grounding import evidence_texts, find_unsupported_claims
from conversations.agent.types import TurnResult
from conversations.services import turn_process
from evaluation.datasets import Dataset, GoldenCase
from evaluation.metrics import CaseOutcome, summarize
from evaluation.models import EvalCaseResult, EvalRun
from knowledge.embeddings import embed_texts
from knowledge.languages import classify_language

ProgressCallback = Callable[[int, int, CaseOutcome], None]
REVIEW_ACTION = "FLAG_FOR_HUMAN_REVIEW"


# The loggers that write a line per turn (the API's turn record, request and task lines): an evaluation
# prints its own table instead, so they are raised to WARNING unless --verbosity 2 asks for them.
PER_TURN_LOGGERS = ("conversations.turns", "django_structlog")


@contextmanager
def turn_logs_quiet(*, unless: bool) -> Iterator[None]:
    loggers = [logging.getLogger(name) for name in PER_TURN_LOGGERS]
    levels = [logger.level for logger in loggers]
    if not unless:
        for logger in loggers:
            logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def draft_similarities(hypotheses: list[str], references: list[str]) -> list[float]:
    """Cosine similarity of each draft to its reference, with the local embedding model."""
    vectors = np.asarray(embed_texts([*hypotheses, *references]), dtype=np.float32)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    count = len(hypotheses)
    return [float(value) for value in np.sum(vectors[:count] * vectors[count:], axis=1)]


def draft_language(draft: str) -> str:
    """The language (ISO 639-1) the draft is written in, by the detector alone; "" for no draft."""
    return classify_language(draft)[0] if draft.strip() else ""


def review_flag(next_steps: list[dict[str, Any]]) -> tuple[bool, list[str]]:
    """Whether the predicted next steps flag the turn for human review, and the flags' reasons."""
    flags = [step for step in next_steps if step.get("action") == REVIEW_ACTION]
    return bool(flags), [str((step.get("details") or {}).get("reason", "")) for step in flags]


def predicted_fields(result: TurnResult) -> dict[str, Any]:
    """What the agent answered for a case, as stored with the case result and in the JSON report."""
    return {
        "intent": result.intent,
        "language": result.language,
        "sentiment": result.sentiment,
        "entities": result.entities,
        "key_points": result.key_points,
        "priority": result.priority,
        "action": result.primary_action,
        "internal_next_steps": [step.as_dict() for step in result.next_steps],
        "suggested_response_draft": result.draft,
        "reply_language": draft_language(result.draft),
        "retrieved_documents": list(dict.fromkeys(item.document_slug for item in result.knowledge)),
        "cited_chunks": result.citations,
        "confidence_score": result.confidence,
        "unsupported_claims": find_unsupported_claims(result.draft, evidence_texts(result)),
        "brain": result.brain,
        "model": result.model_name,
        "prompt_version": result.prompt_version,
        "degraded": result.degraded,
        "fallback_reason": result.fallback_reason,
        "prompt_tokens": result.prompt_tokens,
        "completion_tokens": result.completion_tokens,
        "cost_usd": result.cost_usd,
    }


def run_case(case: GoldenCase, brain: str | None) -> tuple[TurnResult, float]:
    """One case through the turn service, rolled back afterwards: the result and its latency in ms."""
    with transaction.atomic():
        started = perf_counter()
        stored = turn_process(
            access=SYSTEM,
            message=case.message,
            message_timestamp=case.message_timestamp,
            history=case.history,
            prospect_id=case.prospect_id,
            brain=brain,
        )
        latency_ms = (perf_counter() - started) * 1000
        transaction.set_rollback(True)
    if stored.result is None:
        raise AssertionError("an evaluation case is always a new message, answered fresh")
    return stored.result, latency_ms


def _outcome(case: GoldenCase, predicted: dict[str, Any], latency_ms: float) -> CaseOutcome:
    expected = case.expected
    flagged, flag_reasons = review_flag(predicted["internal_next_steps"])
    return CaseOutcome(
        case_id=case.case_id,
        expected_intent=expected.get("intent", ""),
        predicted_intent=predicted["intent"],
        expected_sentiment=expected.get("sentiment", ""),
        predicted_sentiment=predicted["sentiment"],
        expected_entities=list(expected.get("entities") or []),
        predicted_entities=predicted["entities"],
        expected_action=case.expected_action,
        predicted_action=predicted["action"],
        expected_draft=expected.get("suggested_response_draft", ""),
        predicted_draft=predicted["suggested_response_draft"],
        key_facts=list(expected.get("key_facts") or []),
        expected_sources=list(expected.get("sources") or []),
        retrieved_documents=predicted["retrieved_documents"],
        unsupported_claims=predicted["unsupported_claims"],
        confidence=predicted["confidence_score"],
        latency_ms=latency_ms,
        expected_language=case.expected_language,
        reply_language=predicted["reply_language"],
        forbidden=case.forbidden,
        needs_review=case.needs_review,
        flagged=flagged,
        flag_reasons=flag_reasons,
    )


def answer_breakdown(
    results: list[TurnResult], outcomes: list[CaseOutcome], *, semantic_similarity: Callable | None = None
) -> dict[str, Any]:
    """Who answered (the model or the local fallback), why each fallback happened, and the metrics
    of each group; empty when no case asked a model."""
    asked = [r for r in results if r.brain != "local" or r.degraded]
    if not asked:
        return {}
    by_model = [o for r, o in zip(results, outcomes, strict=True) if not r.degraded and r.brain != "local"]
    fallback = [o for r, o in zip(results, outcomes, strict=True) if r.degraded]
    reasons = Counter(r.fallback_reason for r in results if r.degraded)
    models = Counter(r.model_name for r in results if not r.degraded and r.brain != "local")
    return {
        "model_answered": len(by_model),
        "fallback": len(fallback),
        "model_answered_share": round(len(by_model) / len(results), 4),
        "models": dict(models),
        "breaker_skips": sum(count for reason, count in reasons.items() if reason.startswith("circuit")),
        "fallback_reasons": dict(reasons.most_common()),
        "metrics_model_answered": summarize(by_model, semantic_similarity=semantic_similarity)
        if by_model
        else None,
        "metrics_fallback": summarize(fallback, semantic_similarity=semantic_similarity)
        if fallback
        else None,
    }


def run_evaluation(
    dataset: Dataset, *, brain: str | None = None, progress: ProgressCallback | None = None
) -> EvalRun:
    """Run every case of ``dataset`` and store an :class:`EvalRun` with per-case results and metrics."""
    started_at = timezone.now()
    # One untimed turn first, so loading the embedding model does not land in a case's latency. The
    # local brain does it: a model brain would spend tokens on a turn that is not scored.
    run_case(dataset.cases[0], "local")
    results: list[TurnResult] = []
    outcomes: list[CaseOutcome] = []
    rows: list[EvalCaseResult] = []
    # The breaker protects prospects' turns from a dead model; in an evaluation it would only skip
    # cases (and so measure the breaker). A skip still shows as a fallback reason "circuit open ...".
    with override_settings(MODEL_BREAKER_FAILURES=sys.maxsize):
        for index, case in enumerate(dataset.cases, start=1):
            _score_case(case, brain, results, outcomes, rows)
            if progress:
                progress(index, len(dataset.cases), outcomes[-1])
    metrics = summarize(outcomes, semantic_similarity=draft_similarities)
    answered = [r for r in results if not r.degraded]
    models = Counter(r.model_name for r in answered if r.model_name)
    with transaction.atomic():
        run = EvalRun.objects.create(
            dataset_name=dataset.name,
            dataset_hash=dataset.sha256,
            # The brain and model that really answered (most cases), not the one asked for.
            brain=Counter(r.brain for r in results).most_common(1)[0][0],
            model_name=models.most_common(1)[0][0] if models else "",
            case_count=len(outcomes),
            metrics=metrics,
            answer_breakdown=answer_breakdown(results, outcomes, semantic_similarity=draft_similarities),
            prompt_tokens=sum(r.prompt_tokens for r in results),
            completion_tokens=sum(r.completion_tokens for r in results),
            cost_usd=round(sum(r.cost_usd for r in results), 6),
            degraded_cases=sum(r.degraded for r in results),
            started_at=started_at,
            finished_at=timezone.now(),
        )
        for row in rows:
            row.run = run
        EvalCaseResult.objects.bulk_create(rows)
    return run


def _score_case(
    case: GoldenCase,
    brain: str | None,
    results: list[TurnResult],
    outcomes: list[CaseOutcome],
    rows: list[EvalCaseResult],
) -> None:
    result, latency_ms = run_case(case, brain)
    results.append(result)
    predicted = predicted_fields(result)
    outcome = _outcome(case, predicted, latency_ms)
    outcomes.append(outcome)
    rows.append(
        EvalCaseResult(
            case_id=case.case_id,
            expected=case.expected,
            predicted=predicted,
            intent_correct=outcome.intent_correct,
            action_correct=outcome.action_correct,
            sentiment_correct=outcome.sentiment_correct,
            flagged=outcome.flagged,
            failed=outcome.failed,
            checks=outcome.checks(),
            latency_ms=round(latency_ms, 2),
        )
    )


def run_usage(run: EvalRun) -> dict[str, Any]:
    """Model tokens and estimated cost of a run, in total and per case (zero for the local brain);
    the tokens of failed model attempts are counted too."""
    cases = max(run.case_count, 1)
    return {
        "prompt_tokens": run.prompt_tokens,
        "completion_tokens": run.completion_tokens,
        "total_tokens": run.prompt_tokens + run.completion_tokens,
        "cost_usd": run.cost_usd,
        "cost_usd_per_case": round(run.cost_usd / cases, 6),
        "degraded_cases": run.degraded_cases,
    }


def run_report(run: EvalRun) -> dict[str, Any]:
    """The JSON report of a stored run (SPEC.md, "Evaluation contract")."""
    return {
        "run_id": run.pk,
        "dataset": run.dataset_name,
        "dataset_sha256": run.dataset_hash,
        "brain": run.brain,
        "model": run.model_name,
        "cases": run.case_count,
        "metrics": run.metrics,
        "answered_by": run.answer_breakdown,
        "usage": run_usage(run),
        "per_case": [
            {
                "id": row.case_id,
                "expected": row.expected,
                "predicted": row.predicted,
                "latency_ms": row.latency_ms,
                **row.checks,
            }
            for row in run.case_results.order_by("id")
        ],
    }
