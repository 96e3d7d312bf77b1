"""The turn API end to end: contract, persistence, bad input and authentication."""

import pytest
from django.conf import settings

from conversations.models import ActionableOutput, AnalysisResult, Conversation, Message
from crm.models import Interaction

URL = "/api/process_message"
pytestmark = pytest.mark.django_db


def post(client, body):
    return client.post(URL, body, format="json")


def test_turn_returns_the_contract_and_stores_the_turn(api_client, django_capture_on_commit_callbacks):
    body = {
        "conversation_history": [
            {
                "sender": "prospect",
                "content": "We're a retail team of 40.",
                "timestamp": "2026-11-02T09:10:00Z",
            },
            {"sender": "agent", "content": "Thanks! How can I help?", "timestamp": "2026-11-02T09:11:00Z"},
        ],
        "current_prospect_message": "Can I pay in installments?",
        "prospect_id": "prospect_005",
    }

    with django_capture_on_commit_callbacks(execute=True):
        response = post(api_client, body)

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["classification"]["intent"] == "payment_question"
    assert data["classification"]["sentiment"] in {"positive", "neutral", "negative"}
    assert data["classification"]["priority"] in {"low", "medium", "high"}
    assert "installments" in data["classification"]["entities"]
    assert data["internal_next_steps"][0]["action"] == "EXPLAIN_PAYMENT_OPTIONS"
    assert data["internal_next_steps"][0]["details"]["reason"]
    assert data["knowledge_base_results"][0]["document"] == "billing-and-payments"
    assert "installment" in data["suggested_response_draft"].lower()
    assert data["crm_data"]["prospect_id"] == "prospect_005"
    assert data["crm_data"]["name"] == "Sofia Rossi"
    assert [call["tool"] for call in data["tool_usage_log"]] == ["crm_lookup", "knowledge_search"]
    assert all(call["ok"] and call["latency_ms"] >= 0 for call in data["tool_usage_log"])
    assert 0.0 <= data["confidence_score"] <= 1.0
    assert "Intent payment_question" in data["reasoning_trace"]
    assert data["brain"] == "local"
    assert data["degraded"] is False

    conversation = Conversation.objects.get(pk=data["conversation_id"])
    assert conversation.external_prospect_id == "prospect_005"
    assert conversation.prospect is not None
    assert conversation.prospect.name == "Sofia Rossi"
    messages = list(conversation.messages.values_list("sender", "content"))
    assert messages == [
        ("prospect", "We're a retail team of 40."),
        ("agent", "Thanks! How can I help?"),
        ("prospect", "Can I pay in installments?"),
    ]
    analysis = AnalysisResult.objects.get(pk=data["analysis_id"])
    assert analysis.message_id == data["message_id"]
    assert analysis.intent == "payment_question"
    assert analysis.output.response_text == data["suggested_response_draft"]
    assert analysis.output.action_type == "EXPLAIN_PAYMENT_OPTIONS"
    assert analysis.output.tool_usage_log[1]["tool"] == "knowledge_search"
    assert analysis.output.knowledge_citations, "the draft cites the chunks it used"
    assert (
        Interaction.objects.filter(prospect__external_id="prospect_005", conversation=conversation).count()
        == 1
    )


def test_current_message_may_be_an_object(api_client):
    response = post(
        api_client,
        {
            "current_prospect_message": {
                "sender": "prospect",
                "content": "Hi there!",
                "timestamp": "2026-11-03T08:00:00Z",
            }
        },
    )

    assert response.status_code == 200, response.content
    message = Message.objects.get(pk=response.json()["message_id"])
    assert message.content == "Hi there!"
    assert message.timestamp.isoformat() == "2026-11-03T08:00:00+00:00"


def test_unknown_prospect_is_not_an_error_and_proposes_a_lead(api_client):
    response = post(
        api_client, {"current_prospect_message": "How much is Premium?", "prospect_id": "prospect_999"}
    )

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["crm_data"] is None
    actions = [step["action"] for step in data["internal_next_steps"]]
    assert actions[0] == "PROVIDE_PRICING_DETAILS"
    assert "CREATE_LEAD" in actions
    assert data["tool_usage_log"][0]["output_summary"] == "not found"
    assert Conversation.objects.get(pk=data["conversation_id"]).prospect is None


def test_conversation_id_continues_with_the_stored_history(api_client):
    first = post(
        api_client,
        {
            "current_prospect_message": "We're leaning towards the Premium plan.",
            "prospect_id": "prospect_001",
        },
    ).json()

    response = post(
        api_client,
        {
            "current_prospect_message": "How much would that one be for 120 people?",
            "conversation_id": first["conversation_id"],
        },
    )

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["conversation_id"] == first["conversation_id"]
    assert data["crm_data"]["prospect_id"] == "prospect_001"
    assert "premium plan" in data["classification"]["entities"]
    assert "120 seats" in data["classification"]["entities"]
    assert Message.objects.filter(conversation_id=first["conversation_id"]).count() == 2


def test_short_yes_is_read_against_the_agents_offer(api_client):
    response = post(
        api_client,
        {
            "conversation_history": [
                {"sender": "prospect", "content": "The Standard plan looks right."},
                {"sender": "agent", "content": "Shall I set up your Standard subscription today?"},
            ],
            "current_prospect_message": "Yes, let's do it.",
            "prospect_id": "prospect_007",
        },
    )

    data = response.json()
    assert data["classification"]["intent"] == "conversion_signal"
    assert data["internal_next_steps"][0]["action"] == "INITIATE_SIGNUP"


LONG = "x" * (settings.MAX_MESSAGE_CHARS + 1)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "current_prospect_message"),
        ({"current_prospect_message": ""}, "current_prospect_message"),
        ({"current_prospect_message": "   "}, "current_prospect_message"),
        ({"current_prospect_message": 42}, "current_prospect_message"),
        ({"current_prospect_message": ["hi"]}, "current_prospect_message"),
        ({"current_prospect_message": LONG}, "current_prospect_message"),
        ({"current_prospect_message": {"content": ""}}, "current_prospect_message"),
        ({"current_prospect_message": {"content": "hi", "sender": "agent"}}, "current_prospect_message"),
        (
            {"current_prospect_message": {"content": "hi", "timestamp": "yesterday"}},
            "current_prospect_message",
        ),
        ({"current_prospect_message": "hi", "conversation_history": "not a list"}, "conversation_history"),
        (
            {"current_prospect_message": "hi", "conversation_history": [{"sender": "bot", "content": "x"}]},
            "conversation_history",
        ),
        (
            {
                "current_prospect_message": "hi",
                "conversation_history": [
                    {"sender": "agent", "content": "x", "timestamp": "2026-13-45T99:00:00Z"}
                ],
            },
            "conversation_history",
        ),
        (
            {
                "current_prospect_message": "hi",
                "conversation_history": [{"sender": "agent", "content": LONG}],
            },
            "conversation_history",
        ),
        ({"current_prospect_message": "hi", "prospect_id": 5}, None),
        ({"current_prospect_message": "hi", "prospect_id": ["prospect_001"]}, "prospect_id"),
        ({"current_prospect_message": "hi", "conversation_id": "abc"}, "conversation_id"),
        ({"current_prospect_message": "hi", "conversation_id": 2**63}, "conversation_id"),
    ],
)
def test_bad_input_gets_field_errors_and_stores_nothing(api_client, body, field):
    response = post(api_client, body)

    if field is None:  # a number is accepted as an id ("5"), like any other unknown id
        assert response.status_code == 200
        return
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert Conversation.objects.count() == 0
    assert Message.objects.count() == 0
    assert AnalysisResult.objects.count() == 0
    assert ActionableOutput.objects.count() == 0


def test_an_unknown_conversation_is_a_404_and_stores_nothing(api_client):
    response = post(api_client, {"current_prospect_message": "hi", "conversation_id": 987654})

    assert response.status_code == 404
    assert response.json()["code"] == "conversation_not_found"
    assert Message.objects.count() == 0


def test_malformed_json_is_a_400(api_client):
    response = api_client.post(URL, data="{not json", content_type="application/json")

    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]
    assert Conversation.objects.count() == 0


def test_history_longer_than_the_limit_is_rejected(api_client):
    history = [{"sender": "prospect", "content": "hello"}] * (settings.MAX_HISTORY_MESSAGES + 1)

    response = post(api_client, {"current_prospect_message": "hi", "conversation_history": history})

    assert response.status_code == 400
    assert "conversation_history" in response.json()


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("post", URL),
        ("get", "/api/conversations/"),
        ("get", "/api/knowledge/search?q=price"),
        ("get", "/api/knowledge/documents/"),
        ("get", "/api/crm/prospects/"),
    ],
)
def test_api_requires_a_token(anonymous_client, method, url):
    response = getattr(anonymous_client, method)(url, {"current_prospect_message": "hi"}, format="json")

    assert response.status_code == 401
    assert Conversation.objects.count() == 0
