"""Turn requests answered once: Idempotency-Key replays, and failures that never poison a key or
leave a message unanswered."""

from __future__ import annotations

from datetime import timedelta

import psycopg
import pytest
from django.db import OperationalError, connection
from django.utils import timezone

from apikeys.services import access_for_key, api_key_create
from conftest import API_CLIENT_SCOPES, key_client
from conversations import services
from conversations.idempotency import LOCK_NAMESPACE, request_fingerprint, turn_requests_sweep
from conversations.models import AnalysisResult, Conversation, Message, TurnRequest

pytestmark = pytest.mark.django_db

BODY = {"current_prospect_message": "Can I pay in installments?", "prospect_id": "prospect_005"}


def _counts() -> tuple[int, int, int]:
    return Conversation.objects.count(), Message.objects.count(), AnalysisResult.objects.count()


def _post(client, body=BODY, key: str | None = "turn-123", path="/api/process_message"):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(path, body, format="json", **headers)


@pytest.fixture
def database_fails_once(monkeypatch):
    """The database goes away while the agent is answering (after the message was stored), once."""
    real_run_turn = services.run_turn
    calls = {"count": 0}

    def run_turn(*args, **kwargs):
        calls["count"] += 1
        if calls["count"] == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real_run_turn(*args, **kwargs)

    monkeypatch.setattr(services, "run_turn", run_turn)
    return calls


def test_retry_with_the_same_key_replays_the_stored_response(api_client):
    first = _post(api_client)
    after_first = _counts()

    retry = _post(api_client)

    assert first.status_code == retry.status_code == 200
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert _counts() == after_first == (1, 1, 1)
    assert TurnRequest.objects.get(key="turn-123").analysis_id == first.json()["analysis_id"]


def test_same_key_with_a_different_body_is_refused(api_client):
    _post(api_client)
    before = _counts()

    response = _post(api_client, body={**BODY, "current_prospect_message": "Do you take PayPal?"})

    assert response.status_code == 422
    assert "different request body" in response.json()["detail"]
    assert _counts() == before


def test_keys_belong_to_their_api_key(api_client, api_user, django_user_model):
    other_user = django_user_model.objects.create_user(username="other-client", password=None)
    other = key_client(api_key_create(user=other_user, name="other", scopes=API_CLIENT_SCOPES)[1])
    second_key_same_user = key_client(
        api_key_create(user=api_user, name="second", scopes=API_CLIENT_SCOPES)[1]
    )

    first, second, third = _post(api_client), _post(other), _post(second_key_same_user)

    ids = {response.json()["conversation_id"] for response in (first, second, third)}
    assert len(ids) == 3
    assert "Idempotent-Replayed" not in second
    assert "Idempotent-Replayed" not in third


def test_a_failed_request_does_not_poison_its_key(api_client, database_fails_once):
    # Given a request whose answer failed after its message was stored
    failed = _post(api_client)
    assert failed.status_code == 503
    assert failed["Retry-After"]
    row = TurnRequest.objects.get(key="turn-123")
    assert row.message_id is not None
    assert row.analysis_id is None
    assert row.attempts == 1
    assert "OperationalError" in row.last_error

    # When the client retries at once with the same key
    retry = _post(api_client)

    # Then the stored message is answered (no 409 wait), once, and the key now replays it
    assert retry.status_code == 200, retry.content
    assert retry.json()["message_id"] == row.message_id
    assert _counts() == (1, 1, 1)
    assert _post(api_client).json() == retry.json()


def test_a_request_that_failed_before_storing_anything_frees_its_key(api_client, monkeypatch):
    real_receive = services.turn_receive

    def receive_fails(**kwargs):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr("conversations.api.views.turn_receive", receive_fails)
    assert _post(api_client).status_code == 503
    assert not TurnRequest.objects.exists()

    monkeypatch.setattr("conversations.api.views.turn_receive", real_receive)
    response = _post(api_client)

    assert response.status_code == 200
    assert _counts() == (1, 1, 1)


def test_a_retry_without_a_key_answers_the_stored_message_instead_of_storing_it_again(
    api_client, database_fails_once
):
    assert _post(api_client, key=None).status_code == 503
    assert _counts() == (1, 1, 0)

    retry = _post(api_client, key=None)

    assert retry.status_code == 200
    assert _counts() == (1, 1, 1)
    assert not TurnRequest.objects.exists(), "implicit rows go once the turn is answered"


def test_identical_requests_without_a_key_are_separate_turns_once_answered(api_client):
    first, second = _post(api_client, key=None), _post(api_client, key=None)

    assert first.status_code == second.status_code == 200
    assert first.json()["conversation_id"] != second.json()["conversation_id"]
    assert _counts() == (2, 2, 2)


def test_a_retry_while_the_first_request_is_still_running_is_a_conflict(api_client, api_user):
    # Given a request being answered by another process, which holds the row's lock
    row = TurnRequest.objects.create(
        user=api_user,
        api_key=api_user.api_keys.get(),
        key="turn-123",
        request_hash=request_fingerprint("/api/process_message", BODY),
    )
    settings_dict = connection.settings_dict
    with psycopg.connect(
        host=settings_dict["HOST"],
        port=settings_dict["PORT"],
        user=settings_dict["USER"],
        dbname=settings_dict["NAME"],
        autocommit=True,
    ) as other:
        other.execute("SELECT pg_advisory_lock(%s, %s)", [LOCK_NAMESPACE, row.pk])

        response = _post(api_client)

    assert response.status_code == 409
    assert int(response["Retry-After"]) >= 1
    assert _counts() == (0, 0, 0)


def test_a_retry_after_the_other_process_died_proceeds_at_once(api_client, api_user):
    # Given a row whose message was stored by a process that died (its lock died with it)
    message = services.turn_receive(
        access=access_for_key(api_user.api_keys.get()),
        message=BODY["current_prospect_message"],
        prospect_id="prospect_005",
    )
    TurnRequest.objects.create(
        user=api_user,
        api_key=api_user.api_keys.get(),
        key="turn-123",
        request_hash=request_fingerprint("/api/process_message", BODY),
        message=message,
        conversation=message.conversation,
    )

    response = _post(api_client)

    assert response.status_code == 200
    assert response.json()["message_id"] == message.pk
    assert response.json()["classification"]["intent"] == "payment_question"
    assert _counts() == (1, 1, 1)


def test_the_sweep_answers_turns_whose_client_never_retried(api_client, database_fails_once):
    assert _post(api_client, key=None).status_code == 503
    assert _post(api_client, body={**BODY, "prospect_id": "prospect_001"}).status_code == 200
    TurnRequest.objects.update(updated_at=timezone.now() - timedelta(hours=1))

    report = turn_requests_sweep()

    assert len(report.answered) == 1
    assert _counts() == (2, 2, 2)
    assert not Message.objects.filter(sender="prospect", analyses__isnull=True).exists()
    assert TurnRequest.objects.filter(implicit=True).count() == 0
    assert turn_requests_sweep().answered == []


def test_the_sweep_expires_old_answered_keys(api_client, settings):
    _post(api_client)
    TurnRequest.objects.update(
        created_at=timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS + 1)
    )

    report = turn_requests_sweep()

    assert report.expired == 1
    assert not TurnRequest.objects.exists()
    assert _counts() == (1, 1, 1), "the turn itself stays"


def test_conversation_turns_are_idempotent_too(api_client):
    first = _post(api_client, key="first").json()
    path = f"/api/conversations/{first['conversation_id']}/turns"
    body = {"current_prospect_message": "What about bank transfer?"}

    one = _post(api_client, body=body, key="second", path=path)
    two = _post(api_client, body=body, key="second", path=path)

    assert one.status_code == 200
    assert one.json() == two.json()
    assert Message.objects.filter(conversation_id=first["conversation_id"]).count() == 2


@pytest.mark.parametrize("key", ["k" * 300, "bad\x00key"])
def test_a_bad_key_is_a_field_error(api_client, key):
    response = _post(api_client, key=key)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()
    assert _counts() == (0, 0, 0)


def test_every_attempt_at_a_turn_request_is_counted(api_client, database_fails_once):
    # Given a turn whose first answer failed after its message was stored
    assert _post(api_client).status_code == 503
    assert TurnRequest.objects.get().attempts == 1

    # When the client retries with the same key
    retry = _post(api_client)

    # Then the retry answered the stored message, and the row counts both attempts
    assert retry.status_code == 200
    row = TurnRequest.objects.get()
    assert row.attempts == 2
    assert row.analysis_id == retry.json()["analysis_id"]
