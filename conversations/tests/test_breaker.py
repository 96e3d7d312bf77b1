"""The model circuit breaker: opens after repeated failures, one trial when half-open, closes on success."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from conversations.agent import breaker


@pytest.fixture
def clock(settings, monkeypatch):
    settings.MODEL_BREAKER_FAILURES = 2
    settings.MODEL_BREAKER_COOLDOWN_SECONDS = 30
    cache.clear()
    now = [1_000.0]
    monkeypatch.setattr(breaker, "_now", lambda: now[0])
    yield now
    cache.clear()


def test_opens_only_after_consecutive_failures(clock):
    breaker.breaker_record_failure()
    breaker.breaker_check(trial_seconds=5)  # one failure: still closed

    breaker.breaker_record_failure()

    assert breaker.breaker_state() == "open"
    with pytest.raises(breaker.CircuitOpen, match="retrying in 30 s"):
        breaker.breaker_check(trial_seconds=5)


def test_a_success_resets_the_count(clock):
    breaker.breaker_record_failure()
    breaker.breaker_record_success()
    breaker.breaker_record_failure()

    assert breaker.breaker_state() == "closed"


def test_half_open_lets_exactly_one_trial_through(clock):
    breaker.breaker_record_failure()
    breaker.breaker_record_failure()
    clock[0] += 31

    breaker.breaker_check(trial_seconds=5)  # the trial

    assert breaker.breaker_state() == "half-open"
    with pytest.raises(breaker.CircuitOpen, match="another request is trying"):
        breaker.breaker_check(trial_seconds=5)


def test_a_failed_trial_opens_the_circuit_again(clock):
    breaker.breaker_record_failure()
    breaker.breaker_record_failure()
    clock[0] += 31
    breaker.breaker_check(trial_seconds=5)

    breaker.breaker_record_failure()

    assert breaker.breaker_state() == "open"
    with pytest.raises(breaker.CircuitOpen):
        breaker.breaker_check(trial_seconds=5)
    clock[0] += 31
    breaker.breaker_check(trial_seconds=5)  # the next cool-down ends with a new trial


def test_a_successful_trial_closes_the_circuit(clock):
    breaker.breaker_record_failure()
    breaker.breaker_record_failure()
    clock[0] += 31
    breaker.breaker_check(trial_seconds=5)

    breaker.breaker_record_success()

    assert breaker.breaker_state() == "closed"
    breaker.breaker_check(trial_seconds=5)
    breaker.breaker_check(trial_seconds=5)
