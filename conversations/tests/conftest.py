"""Fixtures for the model brain: a fake OpenAI-compatible server and settings pointing the app at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache

from conversations.agent import model_client
from salesagent.fake_openai import FakeOpenAI


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    """A scripted Chat Completions server on a free 127.0.0.1 port."""
    server = FakeOpenAI().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def model_settings(settings, fake_openai, monkeypatch):
    """The app configured for the model brain against ``fake_openai``, with a clean breaker."""
    settings.OPENAI_BASE_URL = fake_openai.base_url
    settings.OPENAI_API_KEY = "test-key"
    settings.OPENAI_MODEL = "gpt-test"
    settings.AGENT_BRAIN = "openai"
    settings.OPENAI_TIMEOUT_SECONDS = 5.0
    settings.OPENAI_MAX_RETRIES = 1
    settings.OPENAI_MAX_TOOL_ROUNDS = 3
    settings.MODEL_BREAKER_FAILURES = 3
    settings.MODEL_BREAKER_COOLDOWN_SECONDS = 60
    # Real backoff would only slow the suite down; its shape has its own unit test.
    monkeypatch.setattr(model_client, "BACKOFF_BASE_SECONDS", 0.01)
    cache.clear()
    yield settings
    cache.clear()
