"""Turns as prospects really write them, through the API: several questions, another language, anger."""

from __future__ import annotations

import pytest

from conversations.models import ActionableOutput, AnalysisResult
from knowledge.languages import classify_language

URL = "/api/process_message"
pytestmark = pytest.mark.django_db


def post(client, body):
    response = client.post(URL, body, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def flag_reasons(body) -> list[str]:
    return [
        step["details"]["reason"]
        for step in body["internal_next_steps"]
        if step["action"] == "FLAG_FOR_HUMAN_REVIEW"
    ]


def test_a_message_with_four_questions_gets_four_answers(api_client):
    # Given an email with a numbered list of questions
    message = (
        "Hi, a few questions before our review:\n"
        "1) Is SSO included in Standard or only in Premium?\n"
        "2) Can we pay by bank transfer?\n"
        "3) How long does onboarding usually take?\n"
        "4) Do you offer a free trial?\n"
        "Thanks, Maya"
    )

    # When it is sent as a turn
    body = post(api_client, {"current_prospect_message": message, "prospect_id": "prospect_001"})

    # Then each question was searched and answered
    draft = body["suggested_response_draft"]
    searches = [
        call["input"]["query"] for call in body["tool_usage_log"] if call["tool"] == "knowledge_search"
    ]
    assert len(searches) >= 4
    assert "SAML" in draft
    assert "Premium" in draft
    assert "Bank transfer" in draft
    assert "two weeks" in draft
    assert "14-day free trial" in draft
    # And what was cited is stored with the turn
    output = ActionableOutput.objects.get(analysis_id=body["analysis_id"])
    cited = {citation["document"] for citation in output.knowledge_citations}
    assert {"billing-and-payments", "onboarding", "free-trial"} <= cited
    # A comparison naming plans is not a price question: no request for a head count
    assert "How many seats" not in draft


def test_a_spanish_message_is_answered_in_spanish_from_the_spanish_knowledge(api_client):
    message = (
        "Hola, ¿cuánto cuesta el plan Standard por usuario? "
        "¿Tienen descuento para organizaciones sin fines de lucro?"
    )

    body = post(api_client, {"current_prospect_message": message, "prospect_id": "prospect_010"})

    assert body["classification"]["language"] == "es"
    assert body["classification"]["intent"] == "pricing_inquiry"
    draft = body["suggested_response_draft"]
    assert classify_language(draft)[0] == "es"
    assert "$49" in draft
    assert "30%" in draft
    cited = [r for r in body["knowledge_base_results"] if r["language"] == "es"]
    assert cited, "the Spanish documents answered"
    assert all(result["language"] == "es" for result in body["knowledge_base_results"])
    assert AnalysisResult.objects.get(pk=body["analysis_id"]).intent == "pricing_inquiry"


def test_a_message_in_a_language_without_knowledge_gets_a_holding_reply_and_a_flag(api_client):
    message = "Buongiorno, quanto costa il piano Premium per venti utenti? Grazie mille."

    body = post(api_client, {"current_prospect_message": message})

    assert body["classification"]["language"] == "it"
    assert classify_language(body["suggested_response_draft"])[0] == "it"
    assert any("no knowledge-base documents in Italian" in reason for reason in flag_reasons(body))


def test_an_angry_threat_to_cancel_is_escalated_with_an_apology(api_client):
    message = "This is the third time I write. Nobody has answered about our invoice. " + (
        "Get me a manager or we cancel."
    )

    body = post(api_client, {"current_prospect_message": message, "prospect_id": "prospect_004"})

    classification = body["classification"]
    assert classification["intent"] == "complaint"
    assert classification["sentiment"] == "negative"
    assert classification["priority"] == "high"
    assert body["internal_next_steps"][0]["action"] == "ESCALATE_SUPPORT"
    draft = body["suggested_response_draft"].lower()
    assert draft.startswith("i'm sorry")
    for cheerful in ("great to hear", "good question", "happy to help", "thanks for asking"):
        assert cheerful not in draft
    assert "support lead" in draft
