"""Fixtures for the project-level tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from salesagent import warmup


@pytest.fixture
def not_warm() -> Iterator[None]:
    """A process that has not warmed up yet (restored afterwards)."""
    was_warm = warmup._warm.is_set()
    warmup._warm.clear()
    try:
        yield
    finally:
        if was_warm:
            warmup._warm.set()
