"""A circuit breaker for the chat model, with its state in the Django cache.

After ``MODEL_BREAKER_FAILURES`` consecutive failed turns the model is not called for
``MODEL_BREAKER_COOLDOWN_SECONDS``, so a dead provider does not add its timeout to every request.
After the cool-down one trial turn is let through (half-open): a success closes the circuit, a
failure opens it for another cool-down. The state lives in the cache, so every process of a
deployment that shares a cache (Redis) shares the breaker; with the per-process memory cache each
process has its own.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache

from salesagent import metrics

KEY_PREFIX = "agent:model-breaker:v1:"
FAILURES_KEY = KEY_PREFIX + "failures"
OPEN_UNTIL_KEY = KEY_PREFIX + "open-until"
TRIAL_KEY = KEY_PREFIX + "trial"
# Failure counts expire so that a handful of failures spread over days never opens the circuit.
FAILURES_TTL_SECONDS = 3600


class CircuitOpen(RuntimeError):
    """The model is in its cool-down (or another process holds the half-open trial)."""


def _now() -> float:
    # One seam for tests to move the clock.
    return time.time()


def breaker_check(*, trial_seconds: float) -> None:
    """Raise :class:`CircuitOpen` unless the model may be called now.

    ``trial_seconds`` bounds how long the half-open trial may hold its slot: if the process running
    it dies, the slot frees itself after that long.
    """
    open_until = cache.get(OPEN_UNTIL_KEY)
    if open_until is None:
        return
    remaining = open_until - _now()
    if remaining > 0:
        failures = cache.get(FAILURES_KEY, 0)
        raise CircuitOpen(
            f"circuit open after {failures} consecutive model failures; retrying in {remaining:.0f} s"
        )
    # Cool-down over: cache.add is atomic, so exactly one caller gets the trial.
    if not cache.add(TRIAL_KEY, 1, timeout=max(1, int(trial_seconds) + 1)):
        raise CircuitOpen("circuit half-open; another request is trying the model")


def breaker_record_success() -> None:
    """A turn got a valid answer from the model: close the circuit."""
    cache.delete_many([FAILURES_KEY, OPEN_UNTIL_KEY, TRIAL_KEY])


def breaker_record_failure() -> int:
    """A turn failed on the model; open the circuit at the threshold. Returns the failure count."""
    if cache.add(FAILURES_KEY, 1, timeout=FAILURES_TTL_SECONDS):
        failures = 1
    else:
        try:
            failures = cache.incr(FAILURES_KEY)
        except ValueError:  # expired between add and incr
            cache.set(FAILURES_KEY, 1, timeout=FAILURES_TTL_SECONDS)
            failures = 1
    if failures >= settings.MODEL_BREAKER_FAILURES:
        cache.set(OPEN_UNTIL_KEY, _now() + settings.MODEL_BREAKER_COOLDOWN_SECONDS, timeout=None)
        cache.delete(TRIAL_KEY)
        metrics.record_breaker_opened()
    return failures


def breaker_state() -> str:
    """``closed``, ``open`` or ``half-open``, for health pages and tests."""
    open_until = cache.get(OPEN_UNTIL_KEY)
    if open_until is None:
        return "closed"
    return "open" if open_until > _now() else "half-open"
