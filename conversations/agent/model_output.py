"""The model's final answer: its JSON schema (labels as enums from the taxonomy) and its validation.

The schema is sent as strict structured output, and the same schema is checked here before the
answer is used, because not every OpenAI-compatible server enforces it (and a truncated answer
is never valid). Every list has ``maxItems``, every string ``maxLength`` and the confidence a
``minimum``/``maximum``, so a small model under a JSON grammar cannot fill a list until the
timeout. OpenAI's strict mode accepts ``maxItems``/``minimum``/``maximum`` but not string lengths,
so :func:`wire_schema` drops those for it (the token limit bounds strings there).
:func:`check_schema` validates with ``jsonschema`` (Draft 2020-12).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, ValidationError

from conversations.models import Intent

SCHEMA_NAME = "sales_turn"
SENTIMENTS = ("positive", "neutral", "negative")
PRIORITIES = ("low", "medium", "high")
# The taxonomy's secondary actions (../shared/data/taxonomy.json); the primary action is not asked
# for, it follows from the intent through the Intent table.
SECONDARY_ACTIONS: dict[str, str] = {
    "UPDATE_CRM": "Write what this turn revealed (stage, interest, notes) to the prospect's CRM record.",
    "SCHEDULE_FOLLOW_UP": "Plan a follow-up touch with the prospect.",
    "FLAG_FOR_HUMAN_REVIEW": "Low confidence, risky or unusual turn: a person should check the draft "
    "before it is sent.",
    "CREATE_LEAD": "The prospect id is unknown to the CRM: create the lead.",
}
DEMO_INTENTS_FILE = Path(__file__).resolve().parent.parent / "demo" / "intents.json"
# Limits of the answer schema: generous for a good answer, tight enough to stop a runaway list.
# Together about 500 tokens at most, so a full answer fits OPENAI_MAX_TOKENS (600 by default).
MAX_ENTITIES = 6
MAX_KEY_POINTS = 3
MAX_ACTIONS = 3
MAX_CITATIONS = 6
SHORT_TEXT_CHARS = 60
NOTE_CHARS = 150
REPLY_CHARS = 900
REASONING_CHARS = 300
STRING_LENGTH_KEYWORDS = ("maxLength", "minLength")
# Grammar-based servers (llama.cpp, vLLM, Ollama) enforce enums but not a number's range: there the
# confidence is offered as this grid, so a small model cannot answer 2.5 (our own check keeps the range).
CONFIDENCE_GRID = [round(step / 20, 2) for step in range(21)]
# ... and a grammar can hold the draft to a sentence's length, so a small model cannot answer "yes"
# (the quality check in model_quality.py says the same to every server, in words).
MIN_REPLY_CHARS = 40


class InvalidOutput(ValueError):
    """The model's answer is not JSON or does not match the schema; the message says why."""


@dataclass(frozen=True)
class IntentOption:
    name: str
    description: str
    primary_action: str


@dataclass
class ModelAnswer:
    intent: str
    sentiment: str
    priority: str
    entities: list[str]
    key_points: list[str]
    secondary_actions: list[tuple[str, str]]
    reply_draft: str
    cited_chunk_ids: list[int]
    confidence: float
    reasoning: str


def intent_options() -> list[IntentOption]:
    """The active intents from the Intent table; the demo intents when the table is still empty."""
    rows = list(Intent.objects.filter(is_active=True).values_list("name", "description", "primary_action"))
    if not rows:
        data = json.loads(DEMO_INTENTS_FILE.read_text())
        rows = [(item["name"], item["description"], item["primary_action"]) for item in data]
    return [IntentOption(*row) for row in rows]


def _strings(description: str, *, items: int, chars: int) -> dict[str, Any]:
    return {
        "type": "array",
        "items": {"type": "string", "maxLength": chars},
        "maxItems": items,
        "description": description,
    }


def answer_schema(intents: list[str]) -> dict[str, Any]:
    """The strict JSON schema of the final answer (every property required, no extras)."""
    properties: dict[str, Any] = {
        "intent": {"type": "string", "enum": intents},
        "sentiment": {"type": "string", "enum": list(SENTIMENTS)},
        "priority": {"type": "string", "enum": list(PRIORITIES)},
        "entities": _strings(
            "Products, plans, tools, languages, team sizes, amounts the prospect mentions.",
            items=MAX_ENTITIES,
            chars=SHORT_TEXT_CHARS,
        ),
        "key_points": _strings(
            "Short internal notes for the sales team.", items=MAX_KEY_POINTS, chars=NOTE_CHARS
        ),
        "secondary_actions": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "action": {"type": "string", "enum": list(SECONDARY_ACTIONS)},
                    "reason": {"type": "string", "maxLength": NOTE_CHARS},
                },
                "required": ["action", "reason"],
                "additionalProperties": False,
            },
            "maxItems": MAX_ACTIONS,
        },
        "reply_draft": {
            "type": "string",
            "maxLength": REPLY_CHARS,
            "description": "The reply to send to the prospect.",
        },
        "cited_chunk_ids": {
            "type": "array",
            "items": {"type": "integer"},
            "maxItems": MAX_CITATIONS,
            "description": "Ids of the knowledge-base chunks the reply draft relies on.",
        },
        "confidence": {
            "type": "number",
            "minimum": 0,
            "maximum": 1,
            "description": "0 to 1: how sure you are of intent and reply.",
        },
        "reasoning": {
            "type": "string",
            "maxLength": REASONING_CHARS,
            "description": "One to three sentences for the sales team.",
        },
    }
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def _without_lengths(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {
            key: _without_lengths(value) for key, value in schema.items() if key not in STRING_LENGTH_KEYWORDS
        }
    return schema


def wire_schema(schema: dict[str, Any], *, string_limits: bool) -> dict[str, Any]:
    """``schema`` as sent to the server. ``string_limits`` (grammar-based servers): string lengths
    kept, the draft at least :data:`MIN_REPLY_CHARS` long and the confidence on
    :data:`CONFIDENCE_GRID`; otherwise (OpenAI's strict mode, which rejects string lengths and
    enforces ranges itself) without string lengths."""
    if not string_limits:
        return _without_lengths(schema)
    properties = dict(schema.get("properties", {}))
    if "confidence" in properties:
        properties["confidence"] = {**properties["confidence"], "enum": CONFIDENCE_GRID}
    if "reply_draft" in properties:
        properties["reply_draft"] = {**properties["reply_draft"], "minLength": MIN_REPLY_CHARS}
    return {**schema, "properties": properties}


def response_format(
    schema: dict[str, Any], *, mode: str = "json_schema", string_limits: bool = True
) -> dict | None:
    """The ``response_format`` argument for a structured-output mode (None for prompt-only).

    ``json_object`` carries the schema as ``schema``: llama.cpp's server and llama-cpp-python turn it
    into a grammar; servers that only know JSON mode ignore it (the prompt describes the schema).
    """
    sent = wire_schema(schema, string_limits=string_limits)
    if mode == "json_schema":
        return {"type": "json_schema", "json_schema": {"name": SCHEMA_NAME, "strict": True, "schema": sent}}
    if mode == "json_object":
        return {"type": "json_object", "schema": sent}
    return None


def _error_message(error: ValidationError) -> str:
    """jsonschema's message, shorter where it would repeat a long value back (a repair prompt quotes
    these to the model)."""
    if error.validator == "maxLength":
        return f"{len(error.instance)} characters, more than the {error.validator_value} allowed"
    if error.validator == "maxItems":
        return f"{len(error.instance)} items, more than the {error.validator_value} allowed"
    return error.message


def check_schema(value: Any, schema: dict[str, Any]) -> list[str]:
    """Every way ``value`` breaks ``schema``, each as "JSON path: what is wrong", in document order."""
    errors = Draft202012Validator(schema).iter_errors(value)
    return [
        f"{error.json_path}: {_error_message(error)}" for error in sorted(errors, key=lambda e: e.json_path)
    ]


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def extract_json_text(content: str) -> str:
    """The JSON object inside a prompt-only answer: without Markdown fences or text around it."""
    start, end = content.find("{"), content.rfind("}")
    return content[start : end + 1] if 0 <= start < end else content


def parse_answer(content: str | None, schema: dict[str, Any], *, lenient: bool = False) -> ModelAnswer:
    """Parse and validate the model's final message; raise :class:`InvalidOutput` with the reasons.

    ``lenient`` (prompt-only mode, where nothing constrains the output) first takes the JSON object
    out of any text or code fence around it.
    """
    if not content or not content.strip():
        raise InvalidOutput("the answer was empty")
    try:
        # NaN and Infinity are not JSON (Python's parser accepts them, and no bound rejects NaN).
        data = json.loads(extract_json_text(content) if lenient else content, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise InvalidOutput(f"not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from exc
    except ValueError as exc:
        raise InvalidOutput(f"not valid JSON ({exc})") from exc
    errors = check_schema(data, schema)
    if not errors and not data["reply_draft"].strip():
        errors.append("$.reply_draft: must not be empty")
    if errors:
        shown = "; ".join(errors[:5]) + (f" (and {len(errors) - 5} more)" if len(errors) > 5 else "")
        raise InvalidOutput(f"does not match the schema: {shown}")
    actions: dict[str, str] = {}
    for item in data["secondary_actions"]:
        actions.setdefault(item["action"], item["reason"].strip())
    return ModelAnswer(
        intent=data["intent"],
        sentiment=data["sentiment"],
        priority=data["priority"],
        entities=_clean(data["entities"]),
        key_points=_clean(data["key_points"]),
        secondary_actions=list(actions.items()),
        reply_draft=data["reply_draft"].strip(),
        cited_chunk_ids=list(dict.fromkeys(data["cited_chunk_ids"])),
        confidence=float(data["confidence"]),
        reasoning=data["reasoning"].strip(),
    )


def _clean(items: list[str]) -> list[str]:
    return list(dict.fromkeys(item.strip() for item in items if item.strip()))
