"""Model calls: which failures are retried, how long we wait, and the reasons given, against a fake server."""

from __future__ import annotations

import pytest

from conversations.agent import model_client
from conversations.agent.model_capabilities import Capabilities
from conversations.agent.model_client import Deadline, ModelCallFailed, create_completion
from conversations.agent.types import ToolCall
from testing.fake_openai import Reply, answer, error


def call(log, seconds: float = 10.0):
    return create_completion(
        deadline=Deadline.after(seconds),
        log=log,
        round_number=1,
        caps=Capabilities(),
        build=lambda caps: {"messages": [{"role": "user", "content": "hi"}], caps.token_param: 50},
    )


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_rate_limits_and_server_errors_are_retried(model_settings, fake_openai, status):
    fake_openai.enqueue(error(status), answer("ok"))
    log: list[ToolCall] = []

    completion = call(log)

    assert completion.choices[0].message.content == "ok"
    assert len(fake_openai.requests) == 2
    assert [entry.ok for entry in log] == [False, True]


@pytest.mark.parametrize("status", [400, 401, 404, 422])
def test_client_errors_are_not_retried(model_settings, fake_openai, status):
    fake_openai.enqueue(error(status, "bad request body"), answer("never sent"))
    log: list[ToolCall] = []

    with pytest.raises(ModelCallFailed, match=rf"^HTTP {status} from the model: bad request body"):
        call(log)

    assert len(fake_openai.requests) == 1


def test_an_exhausted_quota_is_not_retried(model_settings, fake_openai):
    body = {"error": {"message": "quota", "type": "insufficient_quota", "code": "insufficient_quota"}}
    fake_openai.enqueue(Reply(status=429, body=body), answer("never sent"))

    with pytest.raises(ModelCallFailed, match="HTTP 429"):
        call([])

    assert len(fake_openai.requests) == 1


def test_retries_are_bounded(model_settings, fake_openai):
    model_settings.OPENAI_MAX_RETRIES = 2
    fake_openai.enqueue(error(500), error(500), error(500), answer("never sent"))

    with pytest.raises(ModelCallFailed, match=r"^HTTP 500 from the model after 3 attempts: scripted error$"):
        call([])

    assert len(fake_openai.requests) == 3


def test_a_long_retry_after_ends_the_retries(model_settings, fake_openai):
    fake_openai.enqueue(error(429, headers={"Retry-After": "30"}), answer("never sent"))

    with pytest.raises(ModelCallFailed, match="the server asked to wait 30 s"):
        call([])

    assert len(fake_openai.requests) == 1


def test_connection_errors_are_retried_and_named(model_settings, settings):
    settings.OPENAI_BASE_URL = "http://127.0.0.1:9/v1"  # discard port: nothing listens
    log: list[ToolCall] = []

    with pytest.raises(ModelCallFailed, match=r"^connection error after 2 attempts: Connection error\.$"):
        call(log)

    assert [entry.output_summary for entry in log] == ["connection error", "connection error"]


def test_the_turn_budget_caps_every_attempt(model_settings, fake_openai):
    fake_openai.enqueue(Reply(body=None, delay=2.0), Reply(body=None, delay=2.0))
    log: list[ToolCall] = []

    with pytest.raises(ModelCallFailed):
        call(log, seconds=0.4)

    assert sum(entry.latency_ms for entry in log) < 1000


def test_backoff_grows_exponentially_with_jitter_and_a_cap(monkeypatch):
    monkeypatch.setattr(model_client, "BACKOFF_BASE_SECONDS", 0.5)
    delays = [model_client.backoff_seconds(attempt) for attempt in (1, 2, 3, 10)]

    assert 0.25 <= delays[0] <= 0.5
    assert 0.5 <= delays[1] <= 1.0
    assert 1.0 <= delays[2] <= 2.0
    assert model_client.MAX_BACKOFF_SECONDS / 2 <= delays[3] <= model_client.MAX_BACKOFF_SECONDS


def test_the_worst_case_is_stated_by_the_settings(settings):
    settings.OPENAI_TIMEOUT_SECONDS = 20.0
    settings.OPENAI_MAX_RETRIES = 1

    assert model_client.turn_budget_seconds() == 2 * 20.0


@pytest.mark.parametrize(
    "message",
    [
        "1 validation error: Input should be 'text' or 'json_object'",
        "tools param requires --jinja flag",
        "Unsupported value: 'temperature' does not support 0.1 with this model.",
    ],
)
def test_a_500_that_complains_about_the_request_is_not_retried(model_settings, fake_openai, message):
    # Given a server that answers 500 for a request it cannot take (llama-cpp-python, llama-server),
    # with the capabilities set explicitly, so there is nothing to step down (that has its own tests)
    model_settings.OPENAI_TOOLS = "on"
    model_settings.OPENAI_STRUCTURED_OUTPUT = "json_schema"
    fake_openai.enqueue(error(500, message), answer("never sent"))

    # When we call it
    with pytest.raises(ModelCallFailed) as raised:
        call([])

    # Then it is asked once, and the reason carries the server's own words
    assert len(fake_openai.requests) == 1
    assert message.split(":")[0] in str(raised.value)


def test_the_token_limit_is_sent_as_the_capabilities_say(model_settings, fake_openai):
    fake_openai.enqueue(answer("ok"))

    call([])

    assert fake_openai.requests[0]["max_tokens"] == 50
