"""The staff playground page."""

from __future__ import annotations

import pytest

from conversations.models import Conversation

pytestmark = pytest.mark.django_db


def test_playground_requires_staff(client):
    response = client.get("/playground/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_playground_answers_and_stores_the_turn(admin_client):
    response = admin_client.post(
        "/playground/", {"message": "Which credit cards do you accept?", "prospect": "prospect_005"}
    )
    page = response.content.decode()
    conversation = Conversation.objects.get(external_prospect_id="prospect_005")
    assert "payment_question" in page
    assert "EXPLAIN_PAYMENT_OPTIONS" in page
    assert "Visa" in page
    assert conversation.messages.get().content == "Which credit cards do you accept?"


def test_playground_rejects_an_unknown_conversation(admin_client):
    response = admin_client.post("/playground/", {"message": "Hello", "conversation_id": 999999})
    assert "No such conversation." in response.content.decode()
    assert not Conversation.objects.exists()
