"""The domain's Prometheus metrics, defined in one place, and the one-line calls that record them.

Every process records into prometheus_client's default registry; under gunicorn and the Celery
prefork pool ``PROMETHEUS_MULTIPROC_DIR`` makes each process write its values to files there, and
``/metrics`` (:mod:`salesagent.metrics_export`) adds them up. Label values are kept to small, fixed
sets (reasons are mapped to short names by the callers), so no label can grow without bound.
Gauges that describe shared state (breaker, pending documents, queue length) are read when
Prometheus scrapes, not recorded here.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from time import perf_counter
from typing import Any, TypeVar

from django.conf import settings
from prometheus_client import Counter, Histogram

# A local turn takes tens of milliseconds; a model turn seconds, 44 s at most (the model budget).
TURN_LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 45, 60)
CONFIDENCE_BUCKETS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.65, 0.7, 0.8, 0.9, 1.0)
SEARCH_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1)
MODEL_CALL_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30)
REINDEX_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)

TURNS = Counter(
    "salesagent_turns",
    "Answered turns, by the brain that judged, the intent, and the outcome "
    "(answered, flagged for review, degraded to the local brain, error).",
    ["brain", "intent", "outcome"],
)
TURN_LATENCY = Histogram(
    "salesagent_turn_latency_seconds",
    "Time to analyse one prospect message (evidence, brain, policy, grounding guard).",
    ["brain"],
    buckets=TURN_LATENCY_BUCKETS,
)
TURN_CONFIDENCE = Histogram(
    "salesagent_turn_confidence", "Confidence score of answered turns.", ["brain"], buckets=CONFIDENCE_BUCKETS
)
TURNS_DEGRADED = Counter(
    "salesagent_turns_degraded", "Turns the local brain answered because the model path failed.", ["reason"]
)
REVIEW_FLAGS = Counter(
    "salesagent_review_flags", "FLAG_FOR_HUMAN_REVIEW reasons on answered turns.", ["reason"]
)
MODEL_CALLS = Counter(
    "salesagent_model_calls", "Chat model attempts, by model and outcome.", ["model", "outcome"]
)
MODEL_CALL_LATENCY = Histogram(
    "salesagent_model_call_latency_seconds",
    "Duration of one chat model attempt.",
    ["model"],
    buckets=MODEL_CALL_BUCKETS,
)
MODEL_RETRIES = Counter("salesagent_model_retries", "Chat model attempts that were retried.", ["model"])
MODEL_TOKENS = Counter("salesagent_model_tokens", "Tokens used, by model and kind.", ["model", "kind"])
MODEL_COST = Counter(
    "salesagent_model_cost_usd", "Estimated model cost in USD (OPENAI_*_PRICE_PER_MTOK).", ["model"]
)
BREAKER_OPENED = Counter(
    "salesagent_model_breaker_opened", "Times the model circuit breaker opened (this process saw it)."
)
SEARCH_LATENCY = Histogram(
    "salesagent_knowledge_search_latency_seconds",
    "Knowledge search time, by mode (cache hits included).",
    ["mode"],
    buckets=SEARCH_LATENCY_BUCKETS,
)
REINDEX_TASKS = Counter("salesagent_reindex_tasks", "Document reindex tasks, by outcome.", ["outcome"])
REINDEX_DURATION = Histogram(
    "salesagent_reindex_duration_seconds",
    "Duration of one document reindex task.",
    ["outcome"],
    buckets=REINDEX_BUCKETS,
)


def record_turn(
    *,
    brain: str,
    intent: str,
    outcome: str,
    latency_seconds: float,
    confidence: float,
    degraded_reason: str | None = None,
    review_reasons: Iterable[str] = (),
) -> None:
    """One answered turn; reasons are already short labels."""
    TURNS.labels(brain=brain, intent=intent or "unknown", outcome=outcome).inc()
    TURN_LATENCY.labels(brain=brain).observe(latency_seconds)
    TURN_CONFIDENCE.labels(brain=brain).observe(confidence)
    if degraded_reason:
        TURNS_DEGRADED.labels(reason=degraded_reason).inc()
    for reason in review_reasons:
        REVIEW_FLAGS.labels(reason=reason).inc()


def record_turn_error(*, brain: str) -> None:
    """A turn that raised instead of answering (the request got a 500)."""
    TURNS.labels(brain=brain, intent="unknown", outcome="error").inc()


def record_model_call(*, model: str, outcome: str, latency_seconds: float) -> None:
    MODEL_CALLS.labels(model=model, outcome=outcome).inc()
    MODEL_CALL_LATENCY.labels(model=model).observe(latency_seconds)


def record_model_retry(*, model: str) -> None:
    MODEL_RETRIES.labels(model=model).inc()


def record_model_usage(*, model: str, prompt_tokens: int, completion_tokens: int) -> None:
    """Tokens of one successful call, and their estimated cost at the configured prices."""
    MODEL_TOKENS.labels(model=model, kind="prompt").inc(prompt_tokens)
    MODEL_TOKENS.labels(model=model, kind="completion").inc(completion_tokens)
    cost = (
        prompt_tokens * settings.OPENAI_INPUT_PRICE_PER_MTOK
        + completion_tokens * settings.OPENAI_OUTPUT_PRICE_PER_MTOK
    ) / 1_000_000
    MODEL_COST.labels(model=model).inc(cost)


def record_breaker_opened() -> None:
    BREAKER_OPENED.inc()


def record_reindex(*, outcome: str, seconds: float) -> None:
    REINDEX_TASKS.labels(outcome=outcome).inc()
    REINDEX_DURATION.labels(outcome=outcome).observe(seconds)


F = TypeVar("F", bound=Callable[..., Any])


def timed_search(func: F) -> F:
    """Decorate the knowledge search: its duration goes to the histogram under its ``mode``."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = perf_counter()
        try:
            return func(*args, **kwargs)
        finally:
            SEARCH_LATENCY.labels(mode=kwargs.get("mode", "hybrid")).observe(perf_counter() - started)

    return wrapper  # type: ignore[return-value]
