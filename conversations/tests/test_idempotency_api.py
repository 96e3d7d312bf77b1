"""Idempotency-Key on turn requests: retries replay the stored answer and create no new rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from conversations.idempotency import request_fingerprint
from conversations.models import AnalysisResult, Conversation, Message, TurnRequest
from conversations.services import turn_receive

pytestmark = pytest.mark.django_db

BODY = {"current_prospect_message": "Can I pay in installments?", "prospect_id": "prospect_005"}


def _counts() -> tuple[int, int, int]:
    return Conversation.objects.count(), Message.objects.count(), AnalysisResult.objects.count()


def _post(client, body=BODY, key="turn-123", path="/api/process_message"):
    return client.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_retry_with_the_same_key_replays_the_stored_response(api_client):
    first = _post(api_client)
    after_first = _counts()

    retry = _post(api_client)

    assert first.status_code == retry.status_code == 200
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert _counts() == after_first == (1, 1, 1)
    assert TurnRequest.objects.get(key="turn-123").response == first.json()


def test_same_key_with_a_different_body_is_refused(api_client):
    _post(api_client)
    before = _counts()

    response = _post(api_client, body={**BODY, "current_prospect_message": "Do you take PayPal?"})

    assert response.status_code == 422
    assert "different request body" in response.json()["detail"]
    assert _counts() == before


def test_keys_belong_to_their_user(api_client, django_user_model):
    other_user = django_user_model.objects.create_user(username="other-client", password="not-used")
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=other_user).key}")

    first, second = _post(api_client), _post(other)

    assert first.json()["conversation_id"] != second.json()["conversation_id"]
    assert "Idempotent-Replayed" not in second


def test_retry_after_a_crash_answers_the_stored_message_instead_of_storing_it_again(api_client, api_user):
    # Given a request that stored its message and then died before answering it
    message = turn_receive(message=BODY["current_prospect_message"], prospect_id="prospect_005")
    TurnRequest.objects.create(
        user=api_user,
        key="turn-123",
        request_hash=request_fingerprint("/api/process_message", BODY),
        message=message,
        conversation=message.conversation,
    )
    TurnRequest.objects.update(created_at=timezone.now() - timedelta(hours=1))

    # When the client retries
    response = _post(api_client)

    # Then the stored message is answered, and nothing is stored twice
    assert response.status_code == 200
    assert response.json()["message_id"] == message.pk
    assert response.json()["classification"]["intent"] == "payment_question"
    assert _counts() == (1, 1, 1)


def test_a_retry_while_the_first_request_is_still_running_is_a_conflict(api_client, api_user):
    TurnRequest.objects.create(
        user=api_user, key="turn-123", request_hash=request_fingerprint("/api/process_message", BODY)
    )

    response = _post(api_client)

    assert response.status_code == 409
    assert _counts() == (0, 0, 0)


def test_conversation_turns_are_idempotent_too(api_client):
    first = _post(api_client, key="first").json()
    path = f"/api/conversations/{first['conversation_id']}/turns"
    body = {"current_prospect_message": "What about bank transfer?"}

    one = _post(api_client, body=body, key="second", path=path)
    two = _post(api_client, body=body, key="second", path=path)

    assert one.status_code == 200
    assert one.json() == two.json()
    assert Message.objects.filter(conversation_id=first["conversation_id"]).count() == 2


def test_an_overlong_key_is_a_field_error(api_client):
    response = _post(api_client, key="k" * 300)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()
    assert _counts() == (0, 0, 0)
