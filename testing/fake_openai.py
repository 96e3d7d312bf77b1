"""A scripted OpenAI-compatible Chat Completions server on 127.0.0.1, for tests.

A real HTTP server (``ThreadingHTTPServer`` in a thread, free port) answers ``POST .../chat/completions``
from a queue of scripted replies and records every request body, so tests can assert what our client
sent and script what the "model" does: answer, call a tool, send malformed JSON, rate-limit, fail or
stall. A reply may also be a function of the request (to cite the chunk ids the prompt listed).
With ``strict_schemas=True`` it also checks strict ``json_schema`` response formats and strict tools
the way OpenAI does (every object closed and fully required, only the keywords strict mode supports)
and answers 400 with OpenAI's kind of message otherwise.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from testing.local_server import LocalHTTPServer


@dataclass
class Reply:
    """One scripted HTTP response; ``delay`` seconds pass before it is sent."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


Script = Reply | Callable[[dict[str, Any]], Reply]
_ids = itertools.count(1)


def _completion(message: dict[str, Any], finish_reason: str, usage: tuple[int, int], model: str) -> dict:
    return {
        "id": f"chatcmpl-fake-{next(_ids)}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason, "logprobs": None}],
        "usage": {
            "prompt_tokens": usage[0],
            "completion_tokens": usage[1],
            "total_tokens": usage[0] + usage[1],
        },
    }


def answer(
    content: dict[str, Any] | str,
    *,
    usage: tuple[int, int] = (100, 20),
    model: str = "",
    finish_reason: str = "stop",
) -> Reply:
    """A final assistant message; a dict is sent as its JSON text, a string as is (e.g. malformed).
    ``finish_reason="length"`` is a message cut at the token limit."""
    text = content if isinstance(content, str) else json.dumps(content)
    return Reply(body=_completion({"role": "assistant", "content": text}, finish_reason, usage, model))


def refusal(text: str, *, usage: tuple[int, int] = (100, 10)) -> Reply:
    """OpenAI's structured-output refusal: no content, a ``refusal`` message."""
    message = {"role": "assistant", "content": None, "refusal": text}
    return Reply(body=_completion(message, "stop", usage, ""))


def tool_call(
    name: str, arguments: dict[str, Any], *, call_id: str = "call_1", usage: tuple[int, int] = (100, 10)
) -> Reply:
    """An assistant message asking for one function tool call."""
    message = {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": call_id,
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(arguments)},
            }
        ],
    }
    return Reply(body=_completion(message, "tool_calls", usage, ""))


def error(status: int, message: str = "scripted error", *, headers: dict[str, str] | None = None) -> Reply:
    """An OpenAI-style error response."""
    body = {"error": {"message": message, "type": "server_error", "param": None, "code": None}}
    return Reply(status=status, body=body, headers=headers or {})


# Keywords OpenAI's strict structured outputs accept (its "supported schemas" list); anything else,
# string lengths included, is rejected with a 400.
STRICT_KEYWORDS = frozenset(
    {
        "type", "properties", "required", "additionalProperties", "items", "enum", "const", "anyOf",
        "$ref", "$defs", "definitions", "description", "title", "pattern", "format", "multipleOf",
        "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minItems", "maxItems",
    }
)  # fmt: skip


def strict_schema_errors(schema: Any, context: tuple[str, ...] = ()) -> list[str]:
    """How ``schema`` breaks OpenAI's strict-mode rules, in OpenAI's wording ("In context=...")."""
    if not isinstance(schema, dict):
        return []
    errors = [
        f"In context={context}, '{key}' is not permitted." for key in schema if key not in STRICT_KEYWORDS
    ]
    if schema.get("type") == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        if schema.get("additionalProperties") is not False:
            errors.append(
                f"In context={context}, 'additionalProperties' is required to be supplied and to be false."
            )
        missing = [key for key in properties if key not in schema.get("required", [])]
        if missing:
            errors.append(
                f"In context={context}, 'required' is required to include every key; missing {missing}."
            )
        for key, sub in properties.items():
            errors.extend(strict_schema_errors(sub, (*context, "properties", key)))
    if isinstance(schema.get("items"), dict):
        errors.extend(strict_schema_errors(schema["items"], (*context, "items")))
    for index, sub in enumerate(schema.get("anyOf", [])):
        errors.extend(strict_schema_errors(sub, (*context, "anyOf", str(index))))
    return errors


def strict_request_errors(request: dict[str, Any]) -> list[tuple[str, str]]:
    """OpenAI's 400 messages (with the parameter they name) for a request's strict schemas."""
    errors: list[tuple[str, str]] = []
    response_format = request.get("response_format") or {}
    wrapper = response_format.get("json_schema") or {}
    if response_format.get("type") == "json_schema" and wrapper.get("strict"):
        found = strict_schema_errors(wrapper.get("schema", {}))
        errors += [
            ("response_format", f"Invalid schema for response_format '{wrapper.get('name')}': {e}")
            for e in found
        ]
    for tool in request.get("tools") or []:
        function = tool.get("function", {})
        if function.get("strict"):
            found = strict_schema_errors(function.get("parameters", {}))
            errors += [("tools", f"Invalid schema for function '{function.get('name')}': {e}") for e in found]
    return errors


class FakeOpenAI(LocalHTTPServer):
    """The server; ``enqueue`` replies, read ``requests`` (decoded JSON bodies) afterwards."""

    def __init__(self, *, strict_schemas: bool = False, props: dict[str, Any] | None = None) -> None:
        self.strict_schemas = strict_schemas
        # What ``GET /props`` answers, as llama.cpp's server does (None: 404, as other servers).
        self.props = props
        self.requests: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self.headers: list[dict[str, str]] = []
        self._script: deque[Script] = deque()
        self._lock = threading.Lock()
        self._serve(self._handler_class(), name="fake-openai")

    @property
    def base_url(self) -> str:
        return f"{self.origin}/v1"

    def enqueue(self, *replies: Script) -> None:
        with self._lock:
            self._script.extend(replies)

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._script)

    def _next_reply(self, request: dict[str, Any]) -> Reply:
        with self._lock:
            scripted = self._script.popleft() if self._script else None
        if self.strict_schemas and (errors := strict_request_errors(request)):
            # OpenAI rejects the request before the model runs: the scripted reply stays queued.
            param, message = errors[0]
            body = {
                "error": {"message": message, "type": "invalid_request_error", "param": param, "code": None}
            }
            with self._lock:
                if scripted is not None:
                    self._script.appendleft(scripted)
            return Reply(status=400, body=body)
        if scripted is None:
            return error(500, "fake server: no scripted reply left")
        reply = scripted(request) if callable(scripted) else scripted
        if reply.status == 200 and isinstance(reply.body, dict) and not reply.body.get("model"):
            reply.body["model"] = request.get("model", "")
        return reply

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                with fake._lock:
                    fake.paths.append(f"GET {self.path}")
                found = self.path == "/props" and fake.props is not None
                data = json.dumps(fake.props if found else {"error": "not found"}).encode()
                self.send_response(200 if found else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    request = json.loads(raw or b"{}")
                except json.JSONDecodeError:
                    request = {"_raw": raw.decode(errors="replace")}
                with fake._lock:
                    fake.requests.append(request)
                    fake.paths.append(self.path)
                    fake.headers.append(dict(self.headers))
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    reply = error(404, f"fake server: no route {self.path}")
                else:
                    reply = fake._next_reply(request)
                if reply.delay:
                    time.sleep(reply.delay)
                payload = reply.body if isinstance(reply.body, bytes | str) else json.dumps(reply.body)
                data = payload.encode() if isinstance(payload, str) else payload
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test); nothing to deliver

            def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read requests, not logs
                pass

        return Handler
