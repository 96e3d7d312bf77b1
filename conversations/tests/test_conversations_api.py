import pytest

from apikeys.access import SYSTEM
from conversations.services import turn_process

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversations():
    return [
        turn_process(
            access=SYSTEM, message=f"Does Orbit connect to tool number {i}?", prospect_id="prospect_001"
        ).conversation
        for i in range(3)
    ]


def test_list_is_paginated_and_counts_messages(api_client, conversations, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        response = api_client.get("/api/conversations/")

    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 3
    assert {row["id"] for row in data["results"]} == {c.pk for c in conversations}
    assert all(row["message_count"] == 1 for row in data["results"])


def test_list_filters_by_prospect(api_client, conversations):
    turn_process(access=SYSTEM, message="Hello!", prospect_id="prospect_002")

    response = api_client.get("/api/conversations/", {"external_prospect_id": "prospect_002"})

    assert [row["external_prospect_id"] for row in response.json()["results"]] == ["prospect_002"]


def test_list_filters_by_prospect_row_id(api_client, conversations):
    # given: the conversations' prospect row
    prospect_pk = conversations[0].prospect_id

    # when: filtering by that id, by an id no row can have, and by values that are not ids
    found = api_client.get("/api/conversations/", {"prospect": prospect_pk})
    none = api_client.get("/api/conversations/", {"prospect": 0})
    huge = api_client.get("/api/conversations/", {"prospect": 2**70})
    bad = {
        value: api_client.get("/api/conversations/", {"prospect": value}) for value in ("0.0", "1.5", "x", "")
    }

    # then: the id matches its rows, impossible ids match nothing, and non-integers are field errors
    assert {row["id"] for row in found.json()["results"]} == {c.pk for c in conversations}
    assert (none.status_code, none.json()["count"]) == (200, 0)
    assert (huge.status_code, huge.json()["count"]) == (200, 0)
    for value, response in bad.items():
        assert response.status_code == 400, value
        assert list(response.json()) == ["prospect"], value


def test_detail_shows_messages_and_turns(api_client, conversations, django_assert_max_num_queries):
    conversation = conversations[0]
    turn_process(access=SYSTEM, message="And what about Slack?", conversation_id=conversation.pk)

    with django_assert_max_num_queries(6):
        response = api_client.get(f"/api/conversations/{conversation.pk}/")

    data = response.json()
    assert [m["content"] for m in data["messages"]] == [
        "Does Orbit connect to tool number 0?",
        "And what about Slack?",
    ]
    assert len(data["turns"]) == 2
    assert data["turns"][1]["intent"] == "integration_question"
    assert data["turns"][1]["output"]["action_type"] == "PROVIDE_INTEGRATION_DETAILS"
    assert data["turns"][1]["output"]["response_text"]
