"""Structured logs: one JSON line per turn with its ids, brain, latency and outcome; a request id per
request, returned to the client and carried into the Celery tasks it enqueues; no message text,
query strings or tokens in the logs."""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from salesagent.logs import structured_formatter

pytestmark = pytest.mark.django_db
TURN_URL = "/api/process_message"
SECRET_WORD = "XYZZY-4111"


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """What the root logger writes during the test, rendered by the project's JSON formatter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(structured_formatter("json"))
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


def entries(stream: io.StringIO) -> list[dict[str, Any]]:
    """Every line must be a JSON object."""
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_a_turn_writes_one_json_line_with_its_ids_brain_latency_and_outcome(
    api_client, api_user, json_log, settings
):
    settings.AGENT_BRAIN = "local"

    response = api_client.post(
        TURN_URL,
        {
            "current_prospect_message": f"Can I pay in installments? Card {SECRET_WORD}",
            "prospect_id": "prospect_005",
        },
        format="json",
    )

    assert response.status_code == 200
    data = response.json()
    request_id = response["X-Request-ID"]
    assert uuid.UUID(request_id)
    logged = entries(json_log)
    turns = [entry for entry in logged if entry["event"] == "turn_answered"]
    assert len(turns) == 1
    turn = turns[0]
    assert turn["turn_id"] == data["analysis_id"]
    assert turn["conversation_id"] == data["conversation_id"]
    assert turn["message_id"] == data["message_id"]
    assert turn["brain"] == "local"
    assert turn["intent"] == data["classification"]["intent"]
    assert turn["outcome"] in {"answered", "flagged"}
    assert turn["latency_ms"] == pytest.approx(data["latency_ms"], abs=0.1)
    assert turn["request_id"] == request_id
    assert turn["level"] == "info"
    assert turn["logger"] == "conversations.turns"
    finished = [entry for entry in logged if entry["event"] == "request_finished"]
    assert [(entry["request"], entry["code"], entry["request_id"]) for entry in finished] == [
        ("POST /api/process_message", 200, request_id)
    ]
    assert finished[0]["user_id"] == api_user.pk


def test_logs_hold_no_message_text_query_string_draft_or_token(
    api_client, api_key_and_secret, json_log, settings
):
    settings.AGENT_BRAIN = "local"
    token = api_key_and_secret[1]

    turn = api_client.post(
        TURN_URL, {"current_prospect_message": f"Do you offer refunds? {SECRET_WORD}"}, format="json"
    ).json()
    search = api_client.get("/api/knowledge/search", {"q": f"refunds {SECRET_WORD}"})

    assert search.status_code == 200
    raw = json_log.getvalue()
    assert SECRET_WORD not in raw
    assert "Do you offer refunds" not in raw
    assert turn["suggested_response_draft"][:40] not in raw
    assert token not in raw
    requests = [entry["request"] for entry in entries(json_log) if entry["event"] == "request_finished"]
    assert requests == ["POST /api/process_message", "GET /api/knowledge/search"]


def test_a_client_request_id_is_ignored_unless_our_proxy_is_trusted(client, settings):
    upstream = "edge-1234"

    fresh = client.get("/healthz", HTTP_X_REQUEST_ID=upstream)
    settings.DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID = True
    trusted = client.get("/healthz", HTTP_X_REQUEST_ID=upstream)

    assert fresh["X-Request-ID"] != upstream
    assert uuid.UUID(fresh["X-Request-ID"])
    assert trusted["X-Request-ID"] == upstream
