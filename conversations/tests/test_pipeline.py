"""Brain selection: the local brain answers when no model is configured, and says so when asked for one."""

from __future__ import annotations

import pytest

from conversations.models import ActionableOutput, AnalysisResult

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_model(settings):
    settings.OPENAI_API_KEY = ""
    settings.OPENAI_BASE_URL = None
    return settings


def test_auto_without_a_model_uses_the_local_brain_undegraded(api_client, no_model):
    no_model.AGENT_BRAIN = "auto"

    body = api_client.post(
        "/api/process_message", {"current_prospect_message": "Do you accept Visa?"}, format="json"
    ).json()

    assert (body["brain"], body["degraded"]) == ("local", False)
    assert all(call["tool"] != "model_fallback" for call in body["tool_usage_log"])


def test_asking_for_the_model_without_one_degrades_visibly(api_client, no_model):
    no_model.AGENT_BRAIN = "openai"

    body = api_client.post(
        "/api/process_message", {"current_prospect_message": "Do you accept Visa?"}, format="json"
    ).json()

    assert (body["brain"], body["degraded"]) == ("local", True)
    assert "no model endpoint is configured" in body["reasoning_trace"].splitlines()[0]
    fallback = next(call for call in body["tool_usage_log"] if call["tool"] == "model_fallback")
    assert fallback["ok"] is False
    assert body["classification"]["intent"] == "payment_question"
    analysis = AnalysisResult.objects.get(pk=body["analysis_id"])
    assert analysis.brain == "local"
    assert ActionableOutput.objects.get(analysis=analysis).degraded is True
