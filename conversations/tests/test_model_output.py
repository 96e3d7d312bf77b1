"""Validation of the model's structured answer against the schema built from the taxonomy."""

from __future__ import annotations

import json

import pytest

from conversations.agent.model_output import (
    InvalidOutput,
    answer_schema,
    check_schema,
    parse_answer,
    response_format,
    wire_schema,
)
from testing.fake_openai import strict_schema_errors

SCHEMA = answer_schema(["pricing_inquiry", "greeting"])
VALID = {
    "intent": "pricing_inquiry",
    "sentiment": "neutral",
    "priority": "medium",
    "entities": ["Premium", " Premium ", ""],
    "key_points": ["Asks for a price"],
    "secondary_actions": [
        {"action": "SCHEDULE_FOLLOW_UP", "reason": "send a quote"},
        {"action": "SCHEDULE_FOLLOW_UP", "reason": "duplicate"},
    ],
    "reply_draft": " Premium is on the pricing page. ",
    "cited_chunk_ids": [3, 3, 7],
    "confidence": 1,
    "reasoning": "Price question.",
}


def test_a_valid_answer_is_parsed_and_tidied():
    answer = parse_answer(json.dumps(VALID), SCHEMA)

    assert answer.intent == "pricing_inquiry"
    assert answer.entities == ["Premium"]
    assert answer.secondary_actions == [("SCHEDULE_FOLLOW_UP", "send a quote")]
    assert answer.reply_draft == "Premium is on the pricing page."
    assert answer.cited_chunk_ids == [3, 7]
    assert answer.confidence == 1.0


def test_the_schema_is_strict():
    assert SCHEMA["additionalProperties"] is False
    assert SCHEMA["required"] == list(SCHEMA["properties"])
    assert SCHEMA["properties"]["intent"]["enum"] == ["pricing_inquiry", "greeting"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"intent": "buy_now"}, "$.intent: 'buy_now' is not one of ['pricing_inquiry', 'greeting']"),
        ({"sentiment": "angry"}, "$.sentiment: 'angry' is not one of"),
        ({"confidence": "0.9"}, "$.confidence: '0.9' is not of type 'number'"),
        ({"confidence": True}, "$.confidence: True is not of type 'number'"),
        ({"confidence": 1.5}, "$.confidence: 1.5 is greater than the maximum of 1"),
        ({"confidence": -0.1}, "$.confidence: -0.1 is less than the minimum of 0"),
        ({"entities": [f"PROD-FUNIT-{n}" for n in range(7)]}, "$.entities: 7 items, more than the 6 allowed"),
        ({"reply_draft": "x" * 901}, "$.reply_draft: 901 characters, more than the 900 allowed"),
        ({"key_points": ["y" * 151]}, "$.key_points[0]: 151 characters, more than the 150 allowed"),
        ({"cited_chunk_ids": [1, "2"]}, "$.cited_chunk_ids[1]: '2' is not of type 'integer'"),
        ({"cited_chunk_ids": [1.5]}, "$.cited_chunk_ids[0]: 1.5 is not of type 'integer'"),
        ({"secondary_actions": [{"action": "CALL_CEO", "reason": ""}]}, "$.secondary_actions[0].action"),
        (
            {"secondary_actions": [{"action": "UPDATE_CRM"}]},
            "$.secondary_actions[0]: 'reason' is a required property",
        ),
        ({"extra": 1}, "$: Additional properties are not allowed ('extra' was unexpected)"),
        ({"reply_draft": "  "}, "$.reply_draft: must not be empty"),
    ],
)
def test_schema_violations_are_named(change, message):
    with pytest.raises(InvalidOutput, match="does not match the schema") as raised:
        parse_answer(json.dumps({**VALID, **change}), SCHEMA)

    assert message in str(raised.value)


def test_missing_fields_are_listed():
    errors = check_schema({"intent": "greeting"}, SCHEMA)

    assert "$: 'reply_draft' is a required property" in errors
    assert len(errors) == len(SCHEMA["required"]) - 1


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "empty"), ("  ", "empty"), ('{"intent": ', "not valid JSON"), ("[1]", "is not of type 'object'")],
)
def test_non_answers_are_rejected(content, message):
    with pytest.raises(InvalidOutput, match=message):
        parse_answer(content, SCHEMA)


def _walk(schema, path="$"):
    yield path, schema
    for key, sub in schema.get("properties", {}).items():
        yield from _walk(sub, f"{path}.{key}")
    if isinstance(schema.get("items"), dict):
        yield from _walk(schema["items"], f"{path}[]")


def test_every_list_and_string_is_bounded_and_confidence_has_a_range():
    nodes = dict(_walk(SCHEMA))

    unbounded = [
        path for path, node in nodes.items() if node.get("type") == "array" and "maxItems" not in node
    ]
    unbounded += [
        path
        for path, node in nodes.items()
        if node.get("type") == "string" and "enum" not in node and "maxLength" not in node
    ]
    assert unbounded == []
    assert (nodes["$.confidence"]["minimum"], nodes["$.confidence"]["maximum"]) == (0, 1)


def test_the_schema_sent_to_openai_is_valid_in_strict_mode():
    # OpenAI's strict mode takes maxItems, minimum and maximum but rejects string lengths.
    assert strict_schema_errors(wire_schema(SCHEMA, string_limits=False)) == []
    assert any("'maxLength' is not permitted" in e for e in strict_schema_errors(SCHEMA))


def test_response_formats_per_mode():
    strict = response_format(SCHEMA, mode="json_schema")
    assert strict is not None
    assert strict["json_schema"]["strict"] is True
    sent = response_format(SCHEMA, mode="json_object")
    assert sent is not None
    assert sent["type"] == "json_object"
    assert sent["schema"]["properties"]["confidence"]["enum"][-1] == 1.0
    assert response_format(SCHEMA, mode="prompt") is None


def test_a_lenient_parse_takes_the_object_out_of_a_code_fence():
    content = "Here you go:\n```json\n" + json.dumps(VALID) + "\n```"

    with pytest.raises(InvalidOutput, match="not valid JSON"):
        parse_answer(content, SCHEMA)
    assert parse_answer(content, SCHEMA, lenient=True).intent == "pricing_inquiry"


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_a_number_that_is_not_json_is_rejected(constant):
    # Given an answer whose confidence is NaN or infinite (Python's parser accepts both)
    content = json.dumps({**VALID, "confidence": float(constant)})
    assert constant in content

    # Then it is not valid JSON, whatever the schema's bounds would say
    with pytest.raises(InvalidOutput, match=f"not valid JSON \\({constant} is not a JSON number\\)"):
        parse_answer(content, SCHEMA)
