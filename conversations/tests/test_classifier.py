"""Intent classification by nearest neighbours over the demo intents' examples."""

from __future__ import annotations

import pytest

from conversations.agent.classifier import classify_intent, is_short_affirmative, offered_intent
from conversations.models import Intent
from knowledge.embeddings import embed_query

pytestmark = pytest.mark.django_db


def classify(message: str, last_agent_message: str = ""):
    return classify_intent(message, embed_query(message), last_agent_message=last_agent_message)


@pytest.mark.parametrize(
    ("message", "intent"),
    [
        ("What would twelve seats on the Premium tier set us back each month?", "pricing_inquiry"),
        ("Do you accept American Express, or only wire transfers?", "payment_question"),
        ("Can your dashboards pull data straight out of Snowflake?", "integration_question"),
        ("Is the interface available in German for our Munich office?", "localization_question"),
        ("Please take me off your mailing list.", "not_interested"),
        ("Are you ISO 27001 certified, and where is the data hosted?", "security_question"),
    ],
)
def test_messages_get_the_intent_of_their_nearest_examples(message, intent):
    prediction = classify(message)
    assert prediction.intent == intent
    assert prediction.method == "knn"
    assert prediction.scores[intent] == max(prediction.scores.values())
    assert 0.0 <= prediction.confidence <= 1.0


def test_confidence_is_higher_for_a_clear_message_than_for_a_vague_one():
    clear = classify("How much does the Standard plan cost per seat?")
    vague = classify("hmm ok and the other thing")
    assert clear.confidence > vague.confidence


def test_a_short_yes_takes_its_intent_from_what_the_agent_offered():
    prediction = classify("Yes, let's do it!", last_agent_message="Shall I send you the sign-up link?")
    assert (prediction.intent, prediction.method) == ("conversion_signal", "context")
    meeting = classify(
        "Sure, sounds good", last_agent_message="Would you like to book a demo call on Tuesday?"
    )
    assert meeting.intent == "meeting_request"


def test_offer_and_affirmative_detection():
    assert offered_intent("Would you like to start a free trial?") == "trial_request"
    assert offered_intent("Here is the link.") is None
    assert is_short_affirmative("ok, go ahead")
    assert not is_short_affirmative("Okay but how does the Salesforce sync handle custom objects in detail?")


def test_edited_intents_are_picked_up_without_a_restart():
    Intent.objects.create(
        name="partnership_inquiry",
        primary_action="ROUTE_TO_PARTNERSHIPS",
        examples=[
            "We'd like to become a reseller of your platform.",
            "Do you have a partner program for agencies?",
            "Can we white-label Orbit for our consulting clients?",
        ],
    )
    assert classify("Is there a reseller or partner program we could join?").intent == "partnership_inquiry"
