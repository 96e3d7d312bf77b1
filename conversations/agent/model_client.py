"""Calls to the chat model with our own timeout, bounded retries and a per-turn time budget.

The SDK's own retries are off (``max_retries=0``): we retry only what another try can fix
(timeouts, connection errors, 429, 502-504, and a 500 that does not complain about the request),
``OPENAI_MAX_RETRIES`` extra times, with exponential backoff and jitter, honouring a small
``Retry-After``. A server that rejects part of the request (``response_format``, ``tools``, a token
parameter) gets the same call again with that part stepped down (``model_capabilities``), which is
not counted as a retry. Every attempt is logged as a ``model`` entry of the tool-usage log.

Worst case for one turn: every call, backoff included, shares one :class:`Deadline` of
``(OPENAI_MAX_RETRIES + 1) x OPENAI_TIMEOUT_SECONDS`` (40 s with the defaults 20 s and 1 retry),
however many tool rounds and repairs the turn needs.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import openai
from django.conf import settings
from openai import OpenAI
from openai.types.chat import ChatCompletion

from conversations.agent.model_capabilities import Capabilities, capabilities_downgrade, capability_error_text
from conversations.agent.types import ToolCall
from conversations.observability import model_call_observe, model_retry_observe

BACKOFF_BASE_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 4.0
# A Retry-After longer than this ends the retries: waiting longer would hold the prospect's turn.
MAX_RETRY_AFTER_SECONDS = MAX_BACKOFF_SECONDS
# Below this much budget left, another attempt cannot finish; fail rather than start it.
MIN_ATTEMPT_SECONDS = 0.05
# A server that keeps rejecting parts of the request is stepped down at most this often per call.
MAX_DOWNGRADES = 4
RETRYABLE_STATUSES = (502, 503, 504)
# A 500 whose message reads like this complains about the request: sending it again cannot help.
VALIDATION_WORDS = re.compile(
    r"validat|invalid|input should|must be|should be|not supported|unsupported|is required|requires|"
    r"expected|cannot|not allowed|unknown|unrecognized|parse",
    re.IGNORECASE,
)
NO_KEY = "not-needed"  # local OpenAI-compatible servers ignore the key, but the SDK requires one


class ModelCallFailed(RuntimeError):
    """No usable response after the allowed attempts; the message is the reason shown to people."""


def turn_budget_seconds() -> float:
    """The most wall-clock time one turn may spend on the model (see the module docstring)."""
    return float((settings.OPENAI_MAX_RETRIES + 1) * settings.OPENAI_TIMEOUT_SECONDS)


@dataclass
class Deadline:
    """The time left of a turn's model budget."""

    ends_at: float

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(time.monotonic() + seconds)

    def remaining(self) -> float:
        return self.ends_at - time.monotonic()


@lru_cache(maxsize=4)
def _client(api_key: str, base_url: str | None, timeout: float) -> OpenAI:
    # Cached per configuration so turns reuse the HTTP connection pool.
    return OpenAI(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=0)


def get_client() -> OpenAI:
    """The OpenAI client for the configured endpoint, with our timeout and no SDK retries."""
    return _client(
        settings.OPENAI_API_KEY or NO_KEY, settings.OPENAI_BASE_URL, float(settings.OPENAI_TIMEOUT_SECONDS)
    )


def is_retryable(exc: Exception) -> bool:
    """Timeouts, connection errors, 429 (except an exhausted quota), 502-504 and a 500 that does
    not complain about the request are worth another try; anything else would fail the same way."""
    if isinstance(exc, openai.APIConnectionError):  # includes APITimeoutError
        return True
    if isinstance(exc, openai.RateLimitError):
        return exc.code != "insufficient_quota"
    if not isinstance(exc, openai.APIStatusError):
        return False
    if exc.status_code in RETRYABLE_STATUSES:
        return True
    if exc.status_code == 500:
        return capability_error_text(exc) is None and not VALIDATION_WORDS.search(error_detail(exc))
    return False


def describe_error(exc: Exception) -> str:
    """A short name for what went wrong, used in failure reasons."""
    if isinstance(exc, openai.APITimeoutError):
        return "timeout"
    if isinstance(exc, openai.APIConnectionError):
        return "connection error"
    if isinstance(exc, openai.APIStatusError):
        return f"HTTP {exc.status_code} from the model"
    return f"{type(exc).__name__} from the model"


def error_detail(exc: Exception) -> str:
    """The provider's own error message when it sent one (without the SDK's "Error code: ..." prefix)."""
    body = getattr(exc, "body", None)
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return " ".join(body["message"].split())
    if isinstance(body, dict) and body.get("detail"):  # FastAPI servers (llama-cpp-python)
        return " ".join(str(body["detail"]).split())
    return " ".join((getattr(exc, "message", "") or str(exc)).split())


def retry_after_seconds(exc: Exception) -> float | None:
    """The server's ``Retry-After`` (or ``retry-after-ms``) in seconds, when it sent a number."""
    response = getattr(exc, "response", None)
    if response is None:
        return None
    for header, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = response.headers.get(header)
        if value is None:
            continue
        try:
            return max(0.0, float(value) / divisor)
        except ValueError:
            continue  # an HTTP date: use our own backoff
    return None


def backoff_seconds(attempt: int) -> float:
    """Exponential backoff with equal jitter before retry number ``attempt`` (1-based)."""
    ceiling = min(MAX_BACKOFF_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (attempt - 1))
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def _summary(completion: ChatCompletion) -> str:
    usage = completion.usage
    tokens = f"{usage.prompt_tokens}+{usage.completion_tokens} tokens" if usage else "no token usage"
    choice = completion.choices[0] if completion.choices else None
    if choice is None:
        return f"no choices; {tokens}"
    calls = [call.function.name for call in choice.message.tool_calls or [] if call.type == "function"]
    what = f"tool calls: {', '.join(calls)}" if calls else f"finish {choice.finish_reason}"
    return f"{what}; {tokens}"


def create_completion(
    *,
    deadline: Deadline,
    log: list[ToolCall],
    round_number: int,
    caps: Capabilities,
    build: Callable[[Capabilities], dict[str, Any]],
) -> ChatCompletion:
    """One chat completion of the request ``build(caps)``, retried and stepped down as the module
    docstring says (``caps`` is updated in place); raise :class:`ModelCallFailed`."""
    client = get_client()
    attempts = settings.OPENAI_MAX_RETRIES + 1
    attempt = 1
    downgrades = 0
    while True:
        request = build(caps)
        model = request.setdefault("model", settings.OPENAI_MODEL)
        remaining = deadline.remaining()
        if remaining < MIN_ATTEMPT_SECONDS:
            raise ModelCallFailed(f"model time budget of {turn_budget_seconds():.0f} s used up")
        started = time.perf_counter()
        entry_input = {"model": model, "round": round_number, "attempt": attempt}
        try:
            completion = client.chat.completions.create(
                **request, timeout=min(settings.OPENAI_TIMEOUT_SECONDS, remaining)
            )
        except openai.OpenAIError as exc:
            latency = (time.perf_counter() - started) * 1000
            what = describe_error(exc)
            detail = error_detail(exc)
            log.append(ToolCall("model", entry_input, False, latency, what, error=detail[:300]))
            model_call_observe(model=model, latency_ms=latency, error=what)
            if downgrades < MAX_DOWNGRADES and (note := capabilities_downgrade(caps, exc)):
                downgrades += 1
                log.append(
                    ToolCall("model_capability", {"model": model, "round": round_number}, True, 0.0, note)
                )
                continue
            if not is_retryable(exc):
                raise ModelCallFailed(f"{what}: {detail[:200]}") from exc
            if attempt == attempts:
                if isinstance(exc, openai.APITimeoutError):
                    raise ModelCallFailed(
                        f"{what} after {attempts} attempts of {settings.OPENAI_TIMEOUT_SECONDS:g} s"
                    ) from exc
                raise ModelCallFailed(f"{what} after {attempts} attempts: {detail[:200]}") from exc
            delay = retry_after_seconds(exc)
            if delay is not None and delay > MAX_RETRY_AFTER_SECONDS:
                raise ModelCallFailed(
                    f"{what}; the server asked to wait {delay:.0f} s: {detail[:200]}"
                ) from exc
            delay = backoff_seconds(attempt) if delay is None else delay
            if delay + MIN_ATTEMPT_SECONDS > deadline.remaining():
                raise ModelCallFailed(f"{what}; no time left for a retry: {detail[:200]}") from exc
            time.sleep(delay)
            model_retry_observe(model=model)
            attempt += 1
            continue
        latency = (time.perf_counter() - started) * 1000
        log.append(ToolCall("model", entry_input, True, latency, _summary(completion)))
        model_call_observe(model=model, latency_ms=latency, usage=completion.usage)
        return completion
