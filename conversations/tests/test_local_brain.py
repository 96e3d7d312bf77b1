"""The local brain reads short replies in the context of the conversation (intent, entities, search)."""

from __future__ import annotations

import pytest
from django.test import override_settings

from conversations.agent.classifier import classify_intent
from conversations.agent.local_brain import plan_next_steps, run_local_brain, search_query_for
from conversations.agent.types import HistoryMessage, TurnInput
from crm.client import get_crm_client
from knowledge.embeddings import embed_query

pytestmark = pytest.mark.django_db


def conversation(*turns: tuple[str, str]) -> list[HistoryMessage]:
    return [HistoryMessage(sender=sender, content=content) for sender, content in turns]


def run(message: str, history: list[HistoryMessage], prospect_id: str | None = "prospect_001"):
    turn = TurnInput(message=message, history=history, prospect_id=prospect_id)
    return turn, run_local_brain(turn, crm=get_crm_client())


def test_a_head_count_follow_up_stays_a_pricing_question_about_the_same_plan():
    # Given a prospect who asked what a plan costs and got an answer
    history = conversation(
        ("prospect", "How much is the Enterprise plan per seat?"),
        ("agent", "Enterprise is priced per seat on an annual contract."),
    )

    # When they follow up with only a head count
    _, result = run("And for 300 seats?", history)

    # Then the intent, the plan and the search all carry over from the earlier question
    assert result.intent == "pricing_inquiry"
    assert result.primary_action == "PROVIDE_PRICING_DETAILS"
    assert result.entities[:2] == ["enterprise plan", "300 seats"]
    search = next(call for call in result.tool_log if call.tool == "knowledge_search")
    assert search.input["query"] == "And for 300 seats? How much is the Enterprise plan per seat?"


def test_a_plan_only_follow_up_inherits_the_earlier_topic():
    history = conversation(
        ("prospect", "Is the Premium plan available in Spanish?"),
        ("agent", "Yes, Premium can be switched to Spanish."),
    )

    _, result = run("And Basic?", history)

    assert result.intent == "localization_question"
    assert result.primary_action == "OFFER_LANGUAGE_SWITCH"
    assert "keeps the intent of" in result.reasoning_trace


def test_what_about_another_language_is_about_that_language_not_the_earlier_plan():
    history = conversation(
        ("prospect", "Can our Standard plan users switch the interface to Spanish?"),
        ("agent", "They can, from their profile settings."),
    )

    _, result = run("What about Portuguese?", history)

    assert result.intent == "localization_question"
    assert result.entities == ["portuguese"]


def test_a_new_question_after_a_follow_up_is_searched_on_its_own():
    history = conversation(
        ("prospect", "How much is the Premium plan per seat?"),
        ("agent", "Premium is billed per seat."),
    )

    turn, result = run("Do you accept American Express?", history)

    assert result.intent == "payment_question"
    assert search_query_for(turn) == "Do you accept American Express?"
    assert "premium plan" not in result.entities


def test_a_short_yes_searches_with_the_offer_it_accepts():
    history = conversation(
        ("prospect", "The Standard plan looks right for us."),
        ("agent", "Shall I set up your Standard subscription today?"),
    )

    turn, result = run("Yes, let's do it.", history)

    assert result.intent == "conversion_signal"
    assert result.entities == []  # "it" is the offer, not a plan
    assert search_query_for(turn) == (
        "Yes, let's do it. Shall I set up your Standard subscription today? "
        "The Standard plan looks right for us."
    )


def test_a_message_without_history_is_read_on_its_own():
    turn, result = run("And for 300 seats?", [])

    assert search_query_for(turn) == "And for 300 seats?"
    assert result.entities == ["300 seats"]


def test_turn_confidence_is_the_calibrated_intent_probability():
    message = "How much does the Standard plan cost per seat?"

    _, result = run(message, [])

    prediction = classify_intent(message, embed_query(message))
    assert result.confidence == pytest.approx(prediction.confidence, abs=1e-3)
    assert 0.5 < result.confidence <= 1.0


@override_settings(HUMAN_REVIEW_CONFIDENCE_THRESHOLD=0.6)
def test_low_confidence_or_an_unanswered_question_is_flagged_for_review():
    common = {"intent": "pricing_inquiry", "primary_action": "PROVIDE_PRICING_DETAILS", "entities": []}
    common |= {"prospect": None, "prospect_id": None}

    unsure = plan_next_steps(**common, confidence=0.4)
    unanswered = plan_next_steps(**common, confidence=0.9, grounded=False)
    fine = plan_next_steps(**common, confidence=0.9)

    assert "confidence 0.40 below 0.60" in unsure[-1].reason
    assert unanswered[-1].action == "FLAG_FOR_HUMAN_REVIEW"
    assert "no knowledge-base sentence" in unanswered[-1].reason
    assert "FLAG_FOR_HUMAN_REVIEW" not in [step.action for step in fine]
