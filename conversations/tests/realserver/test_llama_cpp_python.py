"""The model brain against llama-cpp-python's server (SmolLM2-135M), which takes only a json_object
response format: the first turn finds that out, and later turns start from it."""

from __future__ import annotations

import pytest

from conversations.tests.realserver.conftest import point_at
from conversations.tests.realserver.contract import (
    assert_eval_contract,
    assert_turn_contract,
    fallback_reason,
    model_calls,
    post_turn,
    run_eval_report,
)
from conversations.tests.realserver.servers import MODEL_ALIAS

pytestmark = [pytest.mark.realserver, pytest.mark.django_db]


def test_the_first_turn_downgrades_to_json_object_and_later_turns_start_there(
    api_client, settings, python_server
):
    point_at(settings, python_server)

    first = post_turn(api_client, "Can I pay in installments?")
    second = post_turn(api_client, "Do you offer a discount for nonprofits?")

    # The first turn: json_schema is rejected (a 4xx/5xx naming response_format), and the same call
    # goes out again at once with json_object, which the server takes.
    assert_turn_contract(first, model=MODEL_ALIAS)
    steps = [call for call in first["tool_usage_log"] if call["tool"] == "model_capability"]
    assert [step["output_summary"].split(" (HTTP")[0] for step in steps] == [
        "the server rejected response_format json_schema; using json_object"
    ]
    assert model_calls(first)[0]["output_summary"].startswith("HTTP ")
    assert model_calls(first)[1]["output_summary"] != model_calls(first)[0]["output_summary"]
    # Later turns start from json_object: nothing rejected, nothing stepped down again.
    assert_turn_contract(second, model=MODEL_ALIAS)
    assert not [call for call in second["tool_usage_log"] if call["tool"] == "model_capability"]
    assert not [call for call in model_calls(second) if call["output_summary"].startswith("HTTP ")]
    for data in (first, second):
        if not data["degraded"]:
            assert "structured output json_object" in data["reasoning_trace"]


def test_json_object_with_tools_off(api_client, settings, python_server):
    point_at(settings, python_server)
    settings.OPENAI_STRUCTURED_OUTPUT = "json_object"
    settings.OPENAI_TOOLS = "off"

    data = post_turn(api_client, "Is this available in Spanish?")

    assert_turn_contract(data, model=MODEL_ALIAS)
    assert not [call for call in data["tool_usage_log"] if call["tool"] == "model_capability"]
    if not data["degraded"]:
        assert "structured output json_object, tools not offered" in data["reasoning_trace"]


def test_a_runaway_is_cut_by_max_tokens(api_client, settings, python_server):
    point_at(settings, python_server)
    settings.OPENAI_STRUCTURED_OUTPUT = "json_object"
    settings.OPENAI_MAX_TOKENS = 24

    data = post_turn(api_client, "Can I pay in installments?")

    assert_turn_contract(data, model=MODEL_ALIAS)
    assert fallback_reason(data).startswith("the answer was cut at the 24-token limit (finish_reason length)")


def test_run_eval_on_five_cases(settings, python_server):
    point_at(settings, python_server)

    report = run_eval_report("llama-cpp-python")

    assert_eval_contract(report, model=MODEL_ALIAS)
