"""Validation of the model's structured answer against the schema built from the taxonomy."""

from __future__ import annotations

import json

import pytest

from conversations.agent.model_output import InvalidOutput, answer_schema, check_schema, parse_answer

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
        ({"intent": "buy_now"}, "$.intent: 'buy_now' is not one of the allowed values"),
        ({"sentiment": "angry"}, "$.sentiment: 'angry' is not one of"),
        ({"confidence": "0.9"}, "$.confidence: expected number, got str"),
        ({"confidence": True}, "$.confidence: expected number, got bool"),
        ({"confidence": 1.5}, "$.confidence: 1.5 is not between 0 and 1"),
        ({"cited_chunk_ids": [1, "2"]}, "$.cited_chunk_ids[1]: expected integer"),
        ({"cited_chunk_ids": [1.5]}, "$.cited_chunk_ids[0]: expected integer"),
        ({"secondary_actions": [{"action": "CALL_CEO", "reason": ""}]}, "$.secondary_actions[0].action"),
        ({"secondary_actions": [{"action": "UPDATE_CRM"}]}, "$.secondary_actions[0]: missing 'reason'"),
        ({"extra": 1}, "$: unexpected property 'extra'"),
        ({"reply_draft": "  "}, "$.reply_draft: must not be empty"),
    ],
)
def test_schema_violations_are_named(change, message):
    with pytest.raises(InvalidOutput, match="does not match the schema") as raised:
        parse_answer(json.dumps({**VALID, **change}), SCHEMA)

    assert message in str(raised.value)


def test_missing_fields_are_listed():
    errors = check_schema({"intent": "greeting"}, SCHEMA)

    assert "$: missing 'reply_draft'" in errors
    assert len(errors) == len(SCHEMA["required"]) - 1


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "empty"), ("  ", "empty"), ('{"intent": ', "not valid JSON"), ("[1]", "expected object")],
)
def test_non_answers_are_rejected(content, message):
    with pytest.raises(InvalidOutput, match=message):
        parse_answer(content, SCHEMA)
