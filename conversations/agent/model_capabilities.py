"""What the configured OpenAI-compatible server accepts, negotiated from its own error messages.

Servers differ: OpenAI takes a strict ``json_schema`` (without string lengths) and
``max_completion_tokens``; llama.cpp's ``llama-server`` takes ``json_schema`` and ``max_tokens``;
``llama-cpp-python`` takes only ``json_object`` (with a ``schema``) and rejects ``content: null``;
a chat template without tool support cannot take ``tools``. With the ``auto`` settings we start from
the richest request and, when the server rejects one of its parts (a 400, 422 or 500 whose body names
``response_format``, ``tools``, ``tool_choice``, a token-limit parameter or ``maxLength``), step that
part down, remember it for this server (base URL + model) in the Django cache, and say so in the
trace. Explicit settings are never changed.

A chat template without tool support makes llama.cpp's server ignore ``tools`` silently, so before
the first call to a server that is not OpenAI's we read llama.cpp's ``/props`` once (its
``chat_template_caps``); a server without that endpoint is simply not probed again for a day.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from urllib.parse import urlparse

import openai
from django.conf import settings
from django.core.cache import cache

STRUCTURED_MODES = ("json_schema", "json_object", "prompt")
TOOL_MODES = ("auto", "on", "off")
TOKEN_PARAMS = ("max_tokens", "max_completion_tokens")
CACHE_PREFIX = "agent:model-capabilities:v1:"
# A day: long enough that every turn after the first benefits, short enough that a server upgrade
# (a template with tool support, a newer llama-cpp-python) is picked up without a restart.
CACHE_SECONDS = 24 * 3600
# Status codes on which a server says "I do not accept this request" rather than "try again".
CAPABILITY_STATUSES = (400, 422, 500)
MAX_NOTES = 4
PROPS_TIMEOUT_SECONDS = 2.0
logger = logging.getLogger(__name__)


class BadModelSetting(ValueError):
    """An ``OPENAI_*`` capability setting has a value we do not know."""


@dataclass
class Capabilities:
    """The request shape to use with the configured server."""

    structured: str = "json_schema"
    tools: bool = True
    token_param: str = "max_tokens"
    # OpenAI's strict mode rejects maxLength/minLength; other servers turn them into the grammar.
    string_limits: bool = True
    # What was downgraded and why: ``learnt`` is kept for this server (earlier turns' findings
    # included), ``notes`` is this turn's part, for its reasoning trace.
    learnt: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """One line for the trace: the request shape used."""
        tools = "offered" if self.tools else "not offered"
        return f"structured output {self.structured}, tools {tools}, token limit as {self.token_param}"


def is_openai_host(base_url: str | None) -> bool:
    """Whether the endpoint is OpenAI's own API (no base URL, or an openai.com host)."""
    if not base_url:
        return True
    host = urlparse(base_url).hostname or ""
    return host == "openai.com" or host.endswith(".openai.com")


def _cache_key() -> str:
    server = f"{settings.OPENAI_BASE_URL or 'openai'}|{settings.OPENAI_MODEL}"
    return CACHE_PREFIX + hashlib.sha256(server.encode()).hexdigest()[:32]


def _choice(name: str, allowed: tuple[str, ...]) -> str:
    value = str(getattr(settings, name)).strip().lower()
    if value != "auto" and value not in allowed:
        raise BadModelSetting(f"{name}={value!r} is not one of auto, {', '.join(allowed)}")
    return value


def _initial() -> Capabilities:
    structured = _choice("OPENAI_STRUCTURED_OUTPUT", STRUCTURED_MODES)
    tools = _choice("OPENAI_TOOLS", ("on", "off"))
    token_param = _choice("OPENAI_TOKEN_LIMIT_PARAM", TOKEN_PARAMS)
    openai_host = is_openai_host(settings.OPENAI_BASE_URL)
    return Capabilities(
        structured="json_schema" if structured == "auto" else structured,
        tools=tools != "off",
        token_param=token_param
        if token_param != "auto"
        else ("max_completion_tokens" if openai_host else "max_tokens"),
        string_limits=not openai_host,
    )


def _props_url(base_url: str) -> str:
    root = base_url.rstrip("/")
    return (root[: -len("/v1")] if root.endswith("/v1") else root) + "/props"


def template_supports_tools(base_url: str) -> bool | None:
    """Whether llama.cpp's server says its chat template takes tools; None when it does not say."""
    try:
        with urllib.request.urlopen(_props_url(base_url), timeout=PROPS_TIMEOUT_SECONDS) as response:
            props = json.loads(response.read())
    except (OSError, ValueError, urllib.error.URLError):
        return None
    template_caps = props.get("chat_template_caps") if isinstance(props, dict) else None
    if not isinstance(template_caps, dict) or "supports_tools" not in template_caps:
        return None
    return bool(template_caps.get("supports_tools") or template_caps.get("supports_tool_calls"))


def _learn_from_props(caps: Capabilities) -> dict:
    """The first look at a server that is not OpenAI's: what its /props says about tools."""
    learnt: dict = {"probed": True}
    base_url = settings.OPENAI_BASE_URL
    if (
        base_url
        and not is_openai_host(base_url)
        and settings.OPENAI_TOOLS == "auto"
        and template_supports_tools(base_url) is False
    ):
        note = "the server's chat template has no tool support (llama.cpp /props), so tools are not offered"
        caps.tools = False
        caps.notes.append(note)
        caps.learnt = [note]
        learnt.update(tools=False, notes=[note])
    cache.set(_cache_key(), learnt, timeout=CACHE_SECONDS)
    return learnt


def capabilities_get() -> Capabilities:
    """The settings, with what earlier turns learnt about this server applied (``auto`` parts only)."""
    caps = _initial()
    learnt = cache.get(_cache_key())
    if not isinstance(learnt, dict):
        _learn_from_props(caps)
        return caps
    if settings.OPENAI_STRUCTURED_OUTPUT == "auto" and learnt.get("structured") in STRUCTURED_MODES:
        caps.structured = learnt["structured"]
    if settings.OPENAI_TOOLS == "auto" and learnt.get("tools") is False:
        caps.tools = False
    if settings.OPENAI_TOKEN_LIMIT_PARAM == "auto" and learnt.get("token_param") in TOKEN_PARAMS:
        caps.token_param = learnt["token_param"]
    if learnt.get("string_limits") is False:
        caps.string_limits = False
    caps.learnt = [str(note) for note in learnt.get("notes", [])][-MAX_NOTES:]
    return caps


def capabilities_forget() -> None:
    """Drop what was learnt about the configured server (tests, or after a server upgrade)."""
    cache.delete(_cache_key())


def _error_text(exc: openai.APIStatusError) -> str:
    body = exc.body
    parts = [str(exc.message or "")]
    if body is not None:
        parts.append(str(body))
    return " ".join(parts)


def _names(text: str, word: str) -> bool:
    return re.search(rf"(?<![A-Za-z_]){re.escape(word)}(?![A-Za-z_])", text) is not None


def capability_error_text(exc: Exception) -> str | None:
    """The server's complaint when ``exc`` is a rejection of part of our request, else None."""
    if not isinstance(exc, openai.APIStatusError) or exc.status_code not in CAPABILITY_STATUSES:
        return None
    text = _error_text(exc)
    words = ("response_format", "json_schema", "tools", "tool_choice", "maxLength", *TOKEN_PARAMS)
    return text if any(_names(text, word) for word in words) else None


def capabilities_downgrade(caps: Capabilities, exc: Exception) -> str | None:
    """Step down the part of the request the server rejected; the note for the trace, or None.

    Only ``auto`` settings move. The new capabilities are stored for this server, so later turns
    start from them (and are not charged the rejected request again).
    """
    text = capability_error_text(exc)
    if text is None:
        return None
    status = getattr(exc, "status_code", "?")
    said = re.sub(r"\s+", " ", text)[:160]
    note: str | None = None
    if caps.string_limits and _names(text, "maxLength"):
        caps.string_limits = False
        note = f"the server rejected string length limits in the schema (HTTP {status}: {said})"
    elif settings.OPENAI_TOKEN_LIMIT_PARAM == "auto" and _names(text, caps.token_param):
        old = caps.token_param
        caps.token_param = "max_tokens" if old == "max_completion_tokens" else "max_completion_tokens"
        note = f"the server rejected {old}; using {caps.token_param} (HTTP {status}: {said})"
    elif (
        settings.OPENAI_STRUCTURED_OUTPUT == "auto"
        and caps.structured != "prompt"
        and (_names(text, "response_format") or _names(text, "json_schema"))
    ):
        old = caps.structured
        caps.structured = STRUCTURED_MODES[STRUCTURED_MODES.index(old) + 1]
        note = f"the server rejected response_format {old}; using {caps.structured} (HTTP {status}: {said})"
    elif (
        settings.OPENAI_TOOLS == "auto"
        and caps.tools
        and (_names(text, "tools") or _names(text, "tool_choice"))
    ):
        caps.tools = False
        note = f"the server rejected tools; calling it without them (HTTP {status}: {said})"
    if note is None:
        return None
    caps.notes.append(note)
    caps.learnt = [*caps.learnt, note][-MAX_NOTES:]
    learnt = {
        "probed": True,
        "structured": caps.structured,
        "tools": caps.tools,
        "token_param": caps.token_param,
        "string_limits": caps.string_limits,
        "notes": caps.learnt,
    }
    cache.set(_cache_key(), learnt, timeout=CACHE_SECONDS)
    return note
