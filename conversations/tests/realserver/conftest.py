"""Fixtures of the real-server suite: the servers (one module's worth at a time, so they never share
the two cores) and the app pointed at them with the default model settings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache

from conversations.agent import model_prompt
from conversations.agent.model_output import intent_options
from conversations.tests.realserver.servers import (
    MODEL_ALIAS,
    Artifacts,
    LocalServer,
    artifacts,
    llama_cpp_python_server,
    llama_server,
)

LOG_DIR = Path(django_settings.BASE_DIR) / "var" / "llm-server-logs"


@pytest.fixture(scope="session")
def llm_artifacts() -> Artifacts:
    return artifacts()


@pytest.fixture(scope="session")
def system_prompt(django_db_setup, django_db_blocker) -> str:
    """Our system prompt from the test database's intents, for the servers' warm-up request."""
    with django_db_blocker.unblock():
        return model_prompt.system_prompt(intent_options())


def _serve(server: LocalServer, system: str) -> Iterator[LocalServer]:
    server.start(warm_up_with=system)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def smollm_server(llm_artifacts: Artifacts, system_prompt: str) -> Iterator[LocalServer]:
    """llama-server with SmolLM2's own chat template (no tool support)."""
    yield from _serve(llama_server(llm_artifacts, LOG_DIR), system_prompt)


@pytest.fixture(scope="module")
def qwen_template_server(llm_artifacts: Artifacts, system_prompt: str) -> Iterator[LocalServer]:
    """llama-server with the Qwen2.5 chat template from the llama.cpp sources (tool support)."""
    server = llama_server(llm_artifacts, LOG_DIR, chat_template=llm_artifacts.qwen_template)
    yield from _serve(server, system_prompt)


@pytest.fixture(scope="module")
def python_server(llm_artifacts: Artifacts, system_prompt: str) -> Iterator[LocalServer]:
    yield from _serve(llama_cpp_python_server(llm_artifacts, LOG_DIR), system_prompt)


def point_at(settings, server: LocalServer):
    """The app's model brain on ``server`` with the default model settings, nothing learnt yet."""
    settings.OPENAI_BASE_URL = server.base_url
    settings.OPENAI_API_KEY = ""
    settings.OPENAI_MODEL = MODEL_ALIAS
    settings.AGENT_BRAIN = "openai"
    cache.clear()
    return settings
