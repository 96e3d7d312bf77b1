"""The agent with a second company loaded in place of the demo (demo_companies/brightdesk): its plans,
unit, discount, tools and knowledge come from its data, and nothing of the demo leaks into a reply."""

from __future__ import annotations

import pytest

from company.models import CompanyProfile

pytestmark = pytest.mark.django_db

URL = "/api/process_message"


def turn(client, message: str, prospect_id: str = "bd_prospect_001") -> dict:
    response = client.post(
        URL, {"current_prospect_message": message, "prospect_id": prospect_id}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()


def test_a_quote_is_for_the_plan_named_not_the_verb_and_in_the_companys_unit(brightdesk, api_client):
    data = turn(api_client, "We need to scale our team to 40 agents, what would Growth cost?")

    draft = data["suggested_response_draft"]
    quote = next(call for call in data["tool_usage_log"] if call["tool"] == "quote_price")
    assert quote["input"]["plan"] == "Growth"
    assert quote["input"]["seats"] == 40
    # $39 less the 5% volume discount from 25 agents: $37.05 x 40
    assert "For 40 agents of Growth" in draft
    assert "$1,482 per month" in draft
    assert "seat" not in draft.lower()


def test_with_the_profiles_unit_left_blank_quotes_use_what_the_knowledge_base_prices_per(
    brightdesk, api_client
):
    # Given a company set up without a unit in its profile (only its documents say "$39 per agent")
    CompanyProfile.objects.update(unit_singular="", unit_plural="", unit_translations={})

    # When a prospect asks for a quote
    data = turn(api_client, "What would Growth cost for 40 people?")

    # Then the quote is in agents, as the knowledge base prices, not in the default seats
    assert "For 40 agents of Growth" in data["suggested_response_draft"]
    assert "seat" not in data["suggested_response_draft"].lower()


def test_a_spanish_quote_uses_the_units_translation(brightdesk, api_client):
    data = turn(
        api_client,
        "¿Cuánto cuesta el plan Starter para 10 agentes con facturación mensual?",
        "bd_prospect_006",
    )

    assert "10 agentes del plan Starter" in data["suggested_response_draft"]


def test_the_startup_discount_is_applied_for_its_first_year(brightdesk, api_client):
    data = turn(
        api_client, "We're a seed-stage startup. How much would Growth cost for 6 agents?", "bd_prospect_004"
    )

    quote = next(call for call in data["tool_usage_log"] if call["tool"] == "quote_price")
    assert quote["input"]["segment"] == "startup"
    assert "the 50% discount for startups for the first 12 months" in data["suggested_response_draft"]


def test_an_integration_question_is_answered_about_that_tool(brightdesk, api_client):
    data = turn(api_client, "Do you integrate with Intercom?")

    draft = data["suggested_response_draft"]
    assert "intercom" in data["classification"]["entities"]
    assert "Intercom" in draft
    assert "Orbit" not in draft


def test_a_turn_reads_the_second_companys_vocabulary_in_one_statement(brightdesk, api_client):
    data = turn(api_client, "Hi! What does the Scale plan include?")

    assert "scale plan" in data["classification"]["entities"]


def test_which_plans_and_which_integrations_are_answered_completely_from_the_data(brightdesk, api_client):
    plans = turn(api_client, "Which plans do you offer?")
    tools = turn(api_client, "which integrations do you have?")

    assert "Our plans are Starter, Growth, Scale and Unlimited." in plans["suggested_response_draft"]
    listed = tools["suggested_response_draft"]
    assert all(name in listed for name in ("Intercom", "Jira", "Shopify", "Slack", "WhatsApp Business"))
    # The lists are the data's, not a chunk's: no chunk is cited for them, and nothing is flagged for it.
    assert "FLAG_FOR_HUMAN_REVIEW" not in [step["action"] for step in plans["internal_next_steps"]]


def test_a_question_about_one_plan_gets_that_plan_not_the_list(brightdesk, api_client):
    data = turn(api_client, "What does the Scale plan include?")

    assert "Our plans are" not in data["suggested_response_draft"]
    assert "Scale" in data["suggested_response_draft"]


def test_a_question_that_names_nothing_is_read_with_what_the_message_named_before_it(brightdesk, api_client):
    data = turn(
        api_client,
        "we use intercom today and their bot handles tier-1. what do you do better? "
        "and can we bring our conversation history over?",
    )

    # Both questions are searched as being about Intercom, and both are answered about it
    searches = [
        call["input"]["query"] for call in data["tool_usage_log"] if call["tool"] == "knowledge_search"
    ]
    assert searches[:2] == [
        "what do you do better? (intercom)",
        "and can we bring our conversation history over? (intercom)",
    ]
    assert "Intercom import" in data["suggested_response_draft"]
