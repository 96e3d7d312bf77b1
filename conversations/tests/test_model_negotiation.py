"""The model brain against servers that accept less than OpenAI does, and against weak models.

A scripted server on 127.0.0.1 plays each server's real answers: llama-cpp-python's 500 for a
``json_schema`` response format, llama-server's 500 for ``tools`` without ``--jinja``, OpenAI's 400
for ``max_tokens`` and for string lengths in a strict schema; a small model's runaway cut at the
token limit, one-word drafts and out-of-range confidences.
"""

from __future__ import annotations

import json

import pytest

from conversations.agent.model_capabilities import capabilities_get, is_openai_host
from conversations.models import AnalysisResult
from conversations.tests.test_model_brain import INSTALLMENTS, answer_body, post
from testing.fake_openai import FakeOpenAI, answer, error, refusal, tool_call

pytestmark = pytest.mark.django_db
LLAMA_CPP_PYTHON_500 = (
    "[{'type': 'literal_error', 'loc': ('body', 'response_format', 'type'), "
    "'msg': \"Input should be 'text' or 'json_object'\", 'input': 'json_schema'}]"
)


def model_calls(data):
    return [call for call in data["tool_usage_log"] if call["tool"] == "model"]


def test_every_request_is_bounded(api_client, model_settings, fake_openai):
    # Given a token limit, a temperature and a seed in the settings
    model_settings.OPENAI_MAX_TOKENS = 321
    model_settings.OPENAI_TEMPERATURE = 0.0
    model_settings.OPENAI_SEED = 7
    fake_openai.enqueue(answer(answer_body()))

    # When a turn runs
    post(api_client, INSTALLMENTS)

    # Then the request carries them, and the schema bounds every list and the confidence
    sent = fake_openai.requests[0]
    assert (sent["max_tokens"], sent["temperature"], sent["seed"]) == (321, 0.0, 7)
    assert "max_completion_tokens" not in sent, "a local server is sent max_tokens"
    schema = sent["response_format"]["json_schema"]["schema"]
    assert schema["properties"]["entities"]["maxItems"] == 6
    assert schema["properties"]["reply_draft"]["maxLength"] == 900
    # A grammar cannot hold a number to a range: a local server gets the confidence as a grid.
    assert schema["properties"]["confidence"]["enum"][:3] == [0.0, 0.05, 0.1]
    assert schema["properties"]["confidence"]["maximum"] == 1


def test_unset_temperature_and_seed_are_not_sent(api_client, model_settings, fake_openai):
    fake_openai.enqueue(answer(answer_body()))

    post(api_client, INSTALLMENTS)

    assert "temperature" not in fake_openai.requests[0]
    assert "seed" not in fake_openai.requests[0]


def test_openai_itself_gets_max_completion_tokens_and_a_strict_valid_schema(settings):
    settings.OPENAI_BASE_URL = None
    settings.OPENAI_API_KEY = "test-key"

    caps = capabilities_get()

    assert is_openai_host(None)
    assert is_openai_host("https://api.openai.com/v1")
    assert not is_openai_host("http://127.0.0.1:8080/v1")
    assert (caps.token_param, caps.string_limits, caps.structured) == (
        "max_completion_tokens",
        False,
        "json_schema",
    )


def test_an_answer_cut_at_the_token_limit_is_not_fed_back(api_client, model_settings, fake_openai):
    # Given a model that runs away on its first answer
    runaway = '{"intent": "payment_question", "entities": ["PROD-FUNIT-1", "PROD-FUNIT-2", "PROD-FUN'
    fake_openai.enqueue(answer(runaway, finish_reason="length", usage=(900, 900)), answer(answer_body()))

    # When the turn runs
    data = post(api_client, INSTALLMENTS)

    # Then the cut text is thrown away (never sent back) and a shorter answer is asked for
    assert len(fake_openai.requests) == 2
    retry = fake_openai.requests[1]["messages"]
    assert not any("PROD-FUNIT" in (m.get("content") or "") for m in retry)
    assert retry[-1]["role"] == "user"
    assert "cut off at the limit of 600 tokens" in retry[-1]["content"]
    assert data["brain"] == "openai"
    assert "cut at the 600-token limit (finish_reason length)" in data["reasoning_trace"]
    analysis = AnalysisResult.objects.get(pk=data["analysis_id"])
    assert (analysis.prompt_tokens, analysis.completion_tokens) == (1000, 920)


def test_two_cut_answers_fall_back_with_the_reason_and_their_tokens(api_client, model_settings, fake_openai):
    fake_openai.enqueue(
        answer('{"entities": ["a", "a", "a', finish_reason="length", usage=(900, 900)),
        answer('{"entities": ["b", "b', finish_reason="length", usage=(950, 900)),
    )

    data = post(api_client, INSTALLMENTS)

    assert data["degraded"] is True
    assert "cut at the 600-token limit (finish_reason length), and again" in data["reasoning_trace"]
    # The failed attempts' tokens are the turn's usage, though the local brain answered.
    analysis = AnalysisResult.objects.get(pk=data["analysis_id"])
    assert (analysis.brain, analysis.prompt_tokens, analysis.completion_tokens) == ("local", 1850, 1800)
    assert float(analysis.cost_usd) > 0


def test_json_schema_rejected_downgrades_to_json_object_once_for_the_server(
    api_client, model_settings, fake_openai
):
    # Given llama-cpp-python, which takes only text or json_object
    fake_openai.enqueue(error(500, LLAMA_CPP_PYTHON_500), answer(answer_body()))

    # When the first turn runs
    first = post(api_client, INSTALLMENTS)

    # Then the same call is made again at once with json_object (and the schema), not as a retry
    assert len(fake_openai.requests) == 2
    second_request = fake_openai.requests[1]
    assert second_request["response_format"]["type"] == "json_object"
    assert second_request["response_format"]["schema"]["properties"]["intent"]["enum"]
    assert '"reply_draft": "<The reply to send to the prospect' in second_request["messages"][0]["content"]
    assert first["brain"] == "openai"
    assert "the server rejected response_format json_schema; using json_object" in first["reasoning_trace"]
    assert "Input should be 'text' or 'json_object'" in first["reasoning_trace"]
    assert [c["input"]["attempt"] for c in model_calls(first)] == [1, 1]
    assert "model_capability" in [c["tool"] for c in first["tool_usage_log"]]

    # And the next turn starts from json_object: no rejected request, nothing degraded
    fake_openai.enqueue(answer(answer_body()))
    second = post(api_client, INSTALLMENTS)
    assert len(fake_openai.requests) == 3
    assert fake_openai.requests[2]["response_format"]["type"] == "json_object"
    assert [c["ok"] for c in model_calls(second)] == [True]
    assert second["degraded"] is False
    assert "Learnt earlier about this server" in second["reasoning_trace"]


def test_json_object_rejected_leaves_the_format_to_the_prompt(api_client, model_settings, fake_openai):
    fenced = "Sure!\n```json\n" + json.dumps(answer_body()) + "\n```"
    fake_openai.enqueue(
        error(400, "response_format json_schema is not supported"),
        error(400, "response_format json_object is not supported"),
        answer(fenced),
    )

    data = post(api_client, INSTALLMENTS)

    assert len(fake_openai.requests) == 3
    assert "response_format" not in fake_openai.requests[2]
    assert "# The JSON object" in fake_openai.requests[2]["messages"][0]["content"]
    assert data["brain"] == "openai"
    assert "using prompt" in data["reasoning_trace"]


def test_tools_rejected_are_turned_off_and_the_trace_says_so(api_client, model_settings, fake_openai):
    fake_openai.enqueue(error(500, "tools param requires --jinja flag"), answer(answer_body()))

    data = post(api_client, INSTALLMENTS)

    assert "tools" in fake_openai.requests[0]
    assert "tools" not in fake_openai.requests[1]
    assert "tool_choice" not in fake_openai.requests[1]
    assert "the server rejected tools" in data["reasoning_trace"]
    assert "tools not offered" in data["reasoning_trace"]


def test_explicit_settings_are_obeyed_and_never_downgraded(api_client, model_settings, fake_openai):
    # Given a server that rejects response_format, and settings that insist on json_schema
    model_settings.OPENAI_STRUCTURED_OUTPUT = "json_schema"
    model_settings.OPENAI_TOOLS = "off"
    fake_openai.enqueue(error(500, LLAMA_CPP_PYTHON_500), answer("never sent"))

    data = post(api_client, INSTALLMENTS)

    # Then the request had no tools, was not retried nor stepped down, and the reason quotes the server
    assert len(fake_openai.requests) == 1
    assert "tools" not in fake_openai.requests[0]
    assert data["degraded"] is True
    assert "HTTP 500 from the model: [{'type': 'literal_error'" in data["reasoning_trace"]


def test_prompt_only_mode_sends_no_response_format(api_client, model_settings, fake_openai):
    model_settings.OPENAI_STRUCTURED_OUTPUT = "prompt"
    fake_openai.enqueue(answer(json.dumps(answer_body())))

    data = post(api_client, INSTALLMENTS)

    assert "response_format" not in fake_openai.requests[0]
    assert data["brain"] == "openai"
    assert "structured output prompt" in data["reasoning_trace"]


def test_a_rejected_token_parameter_is_swapped(api_client, model_settings, fake_openai):
    model_settings.OPENAI_TOKEN_LIMIT_PARAM = "auto"
    message = (
        "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens'."
    )
    fake_openai.enqueue(error(400, message), answer(answer_body()))

    data = post(api_client, INSTALLMENTS)

    assert "max_completion_tokens" in fake_openai.requests[1]
    assert "max_tokens" not in fake_openai.requests[1]
    assert data["brain"] == "openai"


def test_openai_strict_mode_rejecting_string_lengths_keeps_json_schema(api_client, model_settings):
    # Given a server that validates strict schemas as OpenAI does (e.g. OpenAI behind a proxy URL)
    strict = FakeOpenAI(strict_schemas=True).start()
    try:
        model_settings.OPENAI_BASE_URL = strict.base_url
        strict.enqueue(answer(answer_body()))

        data = post(api_client, INSTALLMENTS)

        # Then the rejected schema is resent without string lengths, still strict json_schema
        assert len(strict.requests) == 2
        resent = strict.requests[1]["response_format"]
        assert resent["type"] == "json_schema"
        assert "maxLength" not in json.dumps(resent)
        assert resent["json_schema"]["schema"]["properties"]["entities"]["maxItems"] == 6
        assert data["brain"] == "openai"
        assert "rejected string length limits" in data["reasoning_trace"]
    finally:
        strict.stop()


def test_a_refusal_falls_back_with_the_models_words(api_client, model_settings, fake_openai):
    fake_openai.enqueue(refusal("I can't help with that."))

    data = post(api_client, INSTALLMENTS)

    assert data["degraded"] is True
    assert "the model refused: I can't help with that." in data["reasoning_trace"]


def test_a_tool_call_message_is_resent_with_empty_content_not_null(api_client, model_settings, fake_openai):
    fake_openai.enqueue(tool_call("get_prospect", {"prospect_id": "prospect_001"}), answer(answer_body()))

    post(api_client, INSTALLMENTS)

    assistant = fake_openai.requests[1]["messages"][2]
    assert assistant["role"] == "assistant"
    assert assistant["content"] == ""


def test_an_out_of_range_confidence_is_repaired_with_the_reason(api_client, model_settings, fake_openai):
    fake_openai.enqueue(answer(answer_body(confidence=2.5)), answer(answer_body(confidence=0.8)))

    data = post(api_client, INSTALLMENTS)

    repair = fake_openai.requests[1]["messages"][-1]["content"]
    assert "$.confidence: 2.5 is greater than the maximum of 1" in repair
    assert data["confidence_score"] == 0.8


@pytest.mark.parametrize("draft", ["yes", "no reply", "Sure thing!"])
def test_a_one_word_draft_is_repaired_once(api_client, model_settings, fake_openai, draft):
    # Given a model that answers "yes" with full confidence, then a real reply
    fake_openai.enqueue(
        answer(answer_body(reply_draft=draft, confidence=1.0)),
        answer(answer_body(reply_draft="Hi Sofia, yes: you can pay the annual plan in installments.")),
    )

    data = post(api_client, INSTALLMENTS)

    # Then the first is not accepted: the model is told why and its second answer is used
    assert len(fake_openai.requests) == 2
    last = fake_openai.requests[1]["messages"][-1]["content"]
    assert "cannot be sent to the prospect" in last
    assert data["brain"] == "openai"
    assert data["suggested_response_draft"].startswith("Hi Sofia")


def test_a_draft_still_too_short_after_its_repair_falls_back(api_client, model_settings, fake_openai):
    fake_openai.enqueue(
        answer(answer_body(reply_draft="yes", confidence=1.0)),
        answer(answer_body(reply_draft="no reply", confidence=1.0)),
    )

    data = post(api_client, INSTALLMENTS)

    assert data["degraded"] is True
    assert 'unusable answer after repair: the reply_draft "no reply" is too short' in data["reasoning_trace"]
    fallback = next(call for call in data["tool_usage_log"] if call["tool"] == "model_fallback")
    assert fallback["error"].startswith("unusable answer after repair")


def test_a_draft_answering_nothing_asked_is_flagged_after_its_repair(api_client, model_settings, fake_openai):
    off_topic = "Our office dog Biscuit enjoys long walks along the river every Sunday morning."
    fake_openai.enqueue(
        answer(answer_body(reply_draft=off_topic, confidence=0.95)),
        answer(answer_body(reply_draft=off_topic, confidence=0.95)),
    )

    data = post(api_client, INSTALLMENTS)

    assert data["brain"] == "openai"
    flags = [s for s in data["internal_next_steps"] if s["action"] == "FLAG_FOR_HUMAN_REVIEW"]
    assert flags
    assert "answers nothing the prospect asked" in flags[0]["details"]["reason"]


def test_confidence_at_the_review_threshold_is_flagged(api_client, model_settings, fake_openai):
    model_settings.HUMAN_REVIEW_CONFIDENCE_THRESHOLD = 0.65
    fake_openai.enqueue(answer(answer_body(confidence=0.65)))

    data = post(api_client, INSTALLMENTS)

    flags = [s for s in data["internal_next_steps"] if s["action"] == "FLAG_FOR_HUMAN_REVIEW"]
    assert flags
    assert "at or below the review threshold" in flags[0]["details"]["reason"]


def test_a_chat_template_without_tools_is_found_before_the_first_call(api_client, model_settings):
    # Given llama.cpp's server whose chat template cannot take tools (it would ignore them silently)
    props = {"chat_template_caps": {"supports_tools": False, "supports_tool_calls": False}}
    server = FakeOpenAI(props=props).start()
    try:
        model_settings.OPENAI_BASE_URL = server.base_url
        server.enqueue(answer(answer_body()), answer(answer_body()))

        # When two turns run
        first = post(api_client, INSTALLMENTS)
        post(api_client, INSTALLMENTS)

        # Then /props was read once, tools were never sent, and the trace says why
        assert server.paths.count("GET /props") == 1
        assert all("tools" not in request for request in server.requests)
        assert "chat template has no tool support" in first["reasoning_trace"]
        assert first["brain"] == "openai"
    finally:
        server.stop()


def test_a_server_without_props_keeps_its_tools(api_client, model_settings, fake_openai):
    fake_openai.enqueue(answer(answer_body()))

    post(api_client, INSTALLMENTS)

    assert fake_openai.paths[0] == "GET /props"
    assert "tools" in fake_openai.requests[0]
