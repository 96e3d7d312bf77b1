"""Bad input anywhere it enters gets a clear 4xx in JSON with field errors, never a 500, and stores
nothing: NUL bytes, unpaired surrogates, deep nesting, huge or non-JSON bodies, future timestamps,
over-full conversations."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import OperationalError
from django.test import Client
from django.utils import timezone

from apikeys.access import SYSTEM
from conversations.models import Conversation, Message
from conversations.services import message_record, turn_process
from crm.models import Prospect

pytestmark = pytest.mark.django_db
URL = "/api/process_message"


def post_raw(client, body: str | bytes, content_type: str = "application/json", path: str = URL):
    return client.generic("POST", path, body, content_type=content_type)


def _stored() -> tuple[int, int]:
    return Conversation.objects.count(), Message.objects.count()


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ('{"current_prospect_message": "hi\\u0000there"}', "current_prospect_message"),
        ('{"current_prospect_message": "hi \\ud800"}', "current_prospect_message"),
        ('{"current_prospect_message": {"content": "a\\u0000b"}}', "current_prospect_message.content"),
        (
            '{"current_prospect_message": "hi", '
            '"conversation_history": [{"sender": "agent", "content": "\\udfff"}]}',
            "conversation_history.0.content",
        ),
        ('{"current_prospect_message": "hi", "prospect_id": "p\\u0000"}', "prospect_id"),
        ('{"current_prospect_message": "hi", "extra\\u0000": 1}', "extra?"),
    ],
)
def test_nul_bytes_and_unpaired_surrogates_are_field_errors(api_client, raw, field):
    response = post_raw(api_client, raw)

    assert response.status_code == 400, response.content
    assert field in response.json()
    assert _stored() == (0, 0)


def test_nul_bytes_are_field_errors_on_the_turns_endpoint_too(api_client):
    conversation = turn_process(access=SYSTEM, message="Hello").conversation
    response = post_raw(
        api_client,
        '{"current_prospect_message": "x\\u0000"}',
        path=f"/api/conversations/{conversation.pk}/turns",
    )

    assert response.status_code == 400
    assert "current_prospect_message" in response.json()
    assert conversation.messages.count() == 1


@pytest.mark.parametrize("depth", [40, 100_000])
def test_deeply_nested_json_is_a_400(api_client, depth):
    raw = '{"current_prospect_message": ' + "[" * depth + "]" * depth + "}"

    response = post_raw(api_client, raw)

    assert response.status_code == 400
    assert "nested deeper" in json.dumps(response.json())


def test_a_body_over_the_limit_is_a_json_413(api_client, settings):
    raw = json.dumps({"current_prospect_message": "x" * (settings.API_MAX_BODY_BYTES + 10)})

    response = post_raw(api_client, raw)

    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert "larger than" in response.json()["detail"]
    assert _stored() == (0, 0)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("current_prospect_message=hi&conversation_history=x", "application/x-www-form-urlencoded"),
        (
            b'--b\r\nContent-Disposition: form-data; name="current_prospect_message"\r\n\r\nhi\r\n--b--\r\n',
            "multipart/form-data; boundary=b",
        ),
        ("hi", "text/plain"),
    ],
)
def test_form_multipart_and_text_bodies_are_415(api_client, body, content_type):
    response = post_raw(api_client, body, content_type=content_type)

    assert response.status_code == 415
    assert "Unsupported media type" in response.json()["detail"]
    assert _stored() == (0, 0)


@pytest.mark.parametrize(
    "raw", ['{"current_prospect_message": NaN}', b'{"current_prospect_message": "\xff"}']
)
def test_nan_and_invalid_utf8_are_400(api_client, raw):
    response = post_raw(api_client, raw)
    assert response.status_code == 400
    assert response.json()["detail"]


def test_timestamps_beyond_the_clock_skew_are_400_and_within_it_are_fine(api_client, settings):
    far = (timezone.now() + timedelta(seconds=settings.MAX_CLOCK_SKEW_SECONDS + 60)).isoformat()
    near = (timezone.now() + timedelta(seconds=30)).isoformat()

    future = api_client.post(
        URL, {"current_prospect_message": {"content": "hi", "timestamp": far}}, format="json"
    )
    history = api_client.post(
        URL,
        {
            "current_prospect_message": "hi",
            "conversation_history": [{"sender": "prospect", "content": "earlier", "timestamp": far}],
        },
        format="json",
    )
    skewed = api_client.post(
        URL, {"current_prospect_message": {"content": "hi", "timestamp": near}}, format="json"
    )

    assert future.status_code == 400
    assert "future" in json.dumps(future.json())
    assert history.status_code == 400
    assert "conversation_history" in history.json()
    assert skewed.status_code == 200


def test_a_full_conversation_takes_no_more_turns_or_messages(api_client, settings):
    settings.MAX_CONVERSATION_MESSAGES = 3
    conversation = turn_process(access=SYSTEM, message="Hello").conversation
    message_record(access=SYSTEM, conversation=conversation, sender="agent", content="Hi!")
    turn = api_client.post(
        f"/api/conversations/{conversation.pk}/turns", {"current_prospect_message": "Price?"}, format="json"
    )
    assert turn.status_code == 200

    again = api_client.post(
        f"/api/conversations/{conversation.pk}/turns", {"current_prospect_message": "And?"}, format="json"
    )
    via_process = api_client.post(
        URL, {"current_prospect_message": "And?", "conversation_id": conversation.pk}, format="json"
    )
    reply = api_client.post(
        f"/api/conversations/{conversation.pk}/messages", {"sender": "agent", "content": "Ok"}, format="json"
    )

    for response in (again, via_process, reply):
        assert response.status_code == 409
        assert response.json()["code"] == "conversation_full"
        assert "conversation_id" in response.json()
    assert conversation.messages.count() == 3


def test_conversation_detail_pages_its_messages(api_client, settings):
    settings.CONVERSATION_DETAIL_MESSAGES = 2
    conversation = turn_process(access=SYSTEM, message="First").conversation
    for text in ("Second", "Third"):
        message_record(access=SYSTEM, conversation=conversation, sender="agent", content=text)

    detail = api_client.get(f"/api/conversations/{conversation.pk}/").json()
    pages = api_client.get(f"/api/conversations/{conversation.pk}/messages").json()
    turns = api_client.get(f"/api/conversations/{conversation.pk}/turns").json()

    assert [m["content"] for m in detail["messages"]] == ["Second", "Third"]
    assert detail["messages_truncated"] is True
    assert detail["message_count"] == 3
    assert [m["content"] for m in pages["results"]] == ["First", "Second", "Third"]
    assert turns["count"] == 1


def test_nul_in_a_query_parameter_is_a_400_and_in_a_path_a_404(api_client):
    query = api_client.get("/api/conversations/", {"external_prospect_id": "a\x00b"})
    path = api_client.get("/api/crm/prospects/a%00b/")

    assert query.status_code == 400
    assert "external_prospect_id" in query.json()
    assert path.status_code == 404
    assert path.json()["detail"] == "Not found."


def test_unknown_api_paths_are_json_404s(api_client):
    response = api_client.get("/api/no-such-thing/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_oversized_ids_are_field_errors(api_client):
    response = api_client.post(
        URL, {"current_prospect_message": "hi", "conversation_id": 2**70}, format="json"
    )
    assert response.status_code == 400
    assert "conversation_id" in response.json()


def test_a_database_outage_is_a_json_503_with_retry_after(api_client, monkeypatch):
    def down(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr("conversations.api.views.conversations_visible_to", down)

    response = api_client.get("/api/conversations/")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json()["code"] == "database_unavailable"


def test_a_database_outage_on_a_staff_page_is_a_json_503_too(admin_user, monkeypatch):
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)

    def down(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr("conversations.views.turn_process", down)

    response = client.post("/playground/", {"message": "Hello"})

    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response["Retry-After"]


def test_a_nul_byte_in_crm_json_fields_is_a_field_error(staff_api_client):
    response = staff_api_client.post(
        "/api/crm/prospects/", {"external_id": "p-nul", "name": "N", "technologies": ["a\x00"]}, format="json"
    )
    assert response.status_code == 400
    assert "technologies.0" in response.json()
    assert not Prospect.objects.filter(external_id="p-nul").exists()
