"""Conversation continuity through the API: new turns use the stored history; sent replies are stored."""

from __future__ import annotations

import pytest

from conversations.models import AnalysisResult, Conversation, Message
from crm.models import Interaction

pytestmark = pytest.mark.django_db


def _first_turn(api_client, text: str, prospect_id: str = "prospect_007") -> dict:
    response = api_client.post(
        "/api/process_message",
        {"current_prospect_message": text, "prospect_id": prospect_id},
        format="json",
    )
    assert response.status_code == 200
    return response.json()


def test_next_turn_uses_the_stored_history_and_the_confirmed_reply(
    api_client, django_capture_on_commit_callbacks
):
    # Given a first turn and the agent's reply, confirmed as sent
    first = _first_turn(api_client, "Do you offer a free trial of the Premium features?")
    conversation_id = first["conversation_id"]
    with django_capture_on_commit_callbacks(execute=True):
        sent = api_client.post(
            f"/api/conversations/{conversation_id}/messages",
            {"sender": "agent", "content": "Yes! Would you like me to set up the trial for your team?"},
            format="json",
        )
    assert sent.status_code == 201
    assert sent.json()["sender"] == "agent"

    # When the prospect answers briefly
    response = api_client.post(
        f"/api/conversations/{conversation_id}/turns",
        {"current_prospect_message": "Yes, let's do it."},
        format="json",
    )

    # Then the answer is read against the agent's offer, in the same conversation
    body = response.json()
    assert response.status_code == 200
    assert body["conversation_id"] == conversation_id
    assert body["classification"]["intent"] == "trial_request"
    assert "Follows 2 earlier message(s) in this conversation" in body["classification"]["key_points"]
    senders = list(
        Message.objects.filter(conversation_id=conversation_id)
        .order_by("timestamp", "id")
        .values_list("sender", flat=True)
    )
    assert senders == ["prospect", "agent", "prospect"]
    assert AnalysisResult.objects.filter(conversation_id=conversation_id).count() == 2
    assert Interaction.objects.filter(
        conversation_id=conversation_id,
        kind=Interaction.Kind.AGENT_REPLY,
        prospect__external_id="prospect_007",
    ).exists()


def test_process_message_with_conversation_id_continues_it(api_client):
    first = _first_turn(api_client, "How much is the Standard plan?")

    response = api_client.post(
        "/api/process_message",
        {"current_prospect_message": "And for 300 seats?", "conversation_id": first["conversation_id"]},
        format="json",
    )

    assert response.json()["conversation_id"] == first["conversation_id"]
    assert Conversation.objects.count() == 1
    assert Message.objects.filter(conversation_id=first["conversation_id"]).count() == 2


def test_turn_on_an_unknown_conversation_is_404_and_stores_nothing(api_client):
    response = api_client.post(
        "/api/conversations/999999/turns", {"current_prospect_message": "Hello?"}, format="json"
    )
    assert response.status_code == 404
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("turns", {"current_prospect_message": "   "}, "current_prospect_message"),
        ("turns", {}, "current_prospect_message"),
        ("turns", {"current_prospect_message": 42}, "current_prospect_message"),
        ("messages", {"sender": "robot", "content": "Hi"}, "sender"),
        ("messages", {"sender": "agent", "content": ""}, "content"),
        ("messages", {"sender": "agent", "content": "Hi", "timestamp": "yesterday"}, "timestamp"),
    ],
)
def test_bad_input_gets_field_errors_and_stores_nothing(api_client, path, body, field):
    conversation_id = _first_turn(api_client, "Hi there!")["conversation_id"]
    before = (Message.objects.count(), AnalysisResult.objects.count())

    response = api_client.post(f"/api/conversations/{conversation_id}/{path}", body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert (Message.objects.count(), AnalysisResult.objects.count()) == before


def test_continuity_endpoints_require_a_token(anonymous_client, api_client):
    conversation_id = _first_turn(api_client, "Hi there!")["conversation_id"]
    for path in ("turns", "messages"):
        response = anonymous_client.post(f"/api/conversations/{conversation_id}/{path}", {}, format="json")
        assert response.status_code == 401
