"""The shared policy: next steps, priority and review flags from the intents' stored rules."""

from __future__ import annotations

from dataclasses import replace

import pytest
from django.test import override_settings

from conversations.agent.pipeline import run_turn
from conversations.agent.policy import TurnFacts, decide, intent_policies
from conversations.agent.types import TurnInput
from conversations.models import Intent
from crm.client import ProspectRecord
from testing.fake_openai import answer

pytestmark = pytest.mark.django_db

HOT = ProspectRecord(prospect_id="prospect_001", name="Maya Okafor", lead_score=85)
COLD = ProspectRecord(prospect_id="prospect_009", name="Hannah Lee", lead_score=35)


def facts(intent: str, **overrides) -> TurnFacts:
    turn_facts = TurnFacts(
        intent=intent,
        sentiment="neutral",
        confidence=0.9,
        entities=[],
        draft="Thanks for asking. The Standard plan costs $49 per seat per month.",
        grounded=True,
        language="en",
        prospect=COLD,
        prospect_id=COLD.prospect_id,
    )
    return replace(turn_facts, **overrides)


def actions(decision) -> list[str]:
    return [str(step.action) for step in decision.next_steps]


def test_the_primary_action_and_secondary_steps_come_from_the_intent_row():
    decision = decide(facts("product_interest"), intent_policies())

    assert actions(decision) == ["OFFER_DEMO", "UPDATE_CRM", "SCHEDULE_FOLLOW_UP"]
    assert decision.sentiment == "positive"  # the intent's sentiment override


def test_each_other_intent_the_message_touches_adds_its_primary_action_after_the_primary_one():
    # Given a price question that also signals buying and mentions a greeting
    turn = facts("pricing_inquiry", secondary_intents=["conversion_signal", "greeting", "pricing_inquiry"])

    # When it is decided
    decision = decide(turn, intent_policies())

    # Then the buying signal's action follows the price question's, small talk adds nothing, and the
    # primary intent is not repeated
    assert actions(decision)[:2] == ["PROVIDE_PRICING_DETAILS", "INITIATE_SIGNUP"]
    assert actions(decision).count("PROVIDE_PRICING_DETAILS") == 1
    assert "ASK_QUALIFYING_QUESTION" not in actions(decision)
    assert "conversion signal" in decision.next_steps[1].reason


def test_a_prospect_who_asks_us_to_stop_gets_no_step_for_anything_else_the_message_touches():
    # Given "not interested" that also mentions a price
    turn = facts("not_interested", secondary_intents=["pricing_inquiry"])

    # When it is decided
    decision = decide(turn, intent_policies())

    # Then nothing is sold to them
    assert "PROVIDE_PRICING_DETAILS" not in actions(decision)
    assert actions(decision)[0] == "MARK_NOT_INTERESTED"


def test_staff_edits_to_an_intents_policy_change_the_next_steps():
    # Given staff change the payment intent's rules in the admin
    Intent.objects.filter(name="payment_question").update(
        primary_action="SCHEDULE_MEETING", updates_crm=True, priority_class="high"
    )

    # When a payment question is decided
    decision = decide(facts("payment_question"), intent_policies())

    # Then the stored rules apply
    assert actions(decision) == ["SCHEDULE_MEETING", "UPDATE_CRM"]
    assert decision.priority == "high"


def test_update_crm_carries_the_intents_stage_only_when_it_moves_the_prospect_forward():
    # Given staff set the stage a trial request moves a prospect to
    Intent.objects.filter(name="trial_request").update(crm_stage="proposal")
    policies = intent_policies()

    # When a lead and a customer ask for a trial
    lead = decide(facts("trial_request", prospect=replace(COLD, stage="lead")), policies)
    customer = decide(facts("trial_request", prospect=replace(COLD, stage="customer")), policies)

    # Then only the lead's CRM update moves the stage
    assert [s.extra for s in lead.next_steps if s.action == "UPDATE_CRM"] == [{"stage": "proposal"}]
    assert [s.extra for s in customer.next_steps if s.action == "UPDATE_CRM"] == [{}]


@pytest.mark.parametrize(
    ("intent", "sentiment", "prospect", "expected"),
    [
        ("complaint", "negative", COLD, "high"),
        ("greeting", "positive", HOT, "low"),
        ("pricing_inquiry", "neutral", HOT, "high"),  # hot lead
        ("pricing_inquiry", "neutral", COLD, "medium"),
        ("integration_question", "negative", HOT, "high"),  # unhappy qualified lead
        ("integration_question", "neutral", HOT, "medium"),
    ],
)
def test_priority(intent, sentiment, prospect, expected):
    decision = decide(facts(intent, sentiment=sentiment, prospect=prospect), intent_policies())

    assert decision.priority == expected


def test_an_unknown_prospect_gets_create_lead_instead_of_a_crm_update():
    decision = decide(facts("complaint", prospect=None, prospect_id="prospect_999"), intent_policies())

    assert actions(decision) == ["ESCALATE_SUPPORT", "CREATE_LEAD"]
    assert "prospect_999" in decision.next_steps[1].reason


@override_settings(HUMAN_REVIEW_CONFIDENCE_THRESHOLD=0.6)
def test_every_review_reason_is_on_one_flag():
    decision = decide(
        facts(
            "pricing_inquiry",
            confidence=0.4,
            grounded=False,
            review_reasons=["asks for a commitment outside published policy ('50% off')"],
        ),
        intent_policies(),
    )

    flag = decision.next_steps[-1]
    assert flag.action == "FLAG_FOR_HUMAN_REVIEW"
    assert flag.extra["reasons"] == [
        "asks for a commitment outside published policy ('50% off')",
        "confidence 0.40 below 0.60",
        "no knowledge-base sentence answers this; the draft only promises a follow-up",
    ]


def test_a_draft_in_another_language_than_the_prospects_is_flagged():
    decision = decide(
        facts(
            "pricing_inquiry", language="es", draft="Thanks for asking. The Standard plan costs $49 per seat."
        ),
        intent_policies(),
    )

    assert decision.next_steps[-1].action == "FLAG_FOR_HUMAN_REVIEW"
    assert "wrote in Spanish but the draft is in English" in decision.next_steps[-1].reason


def test_a_confident_grounded_turn_is_not_flagged():
    decision = decide(facts("pricing_inquiry"), intent_policies())

    assert "FLAG_FOR_HUMAN_REVIEW" not in actions(decision)


def test_an_intent_without_a_row_is_left_to_a_person():
    decision = decide(facts("renamed_intent"), intent_policies())

    assert actions(decision)[0] == "FLAG_FOR_HUMAN_REVIEW"


def test_both_brains_share_the_policy(model_settings, fake_openai):
    # Given the model judges a payment question the same way the local brain does
    fake_openai.enqueue(
        answer(
            {
                "intent": "payment_question",
                "sentiment": "neutral",
                "priority": "low",
                "entities": [],
                "key_points": [],
                "secondary_actions": [],
                "reply_draft": "Hi Sofia, yes: annual plans can be paid in installments.",
                "cited_chunk_ids": [],
                "confidence": 0.95,
                "reasoning": "Asks about installments.",
            }
        )
    )
    turn = TurnInput(message="Can I pay in installments?", prospect_id="prospect_005")

    # When each brain answers
    by_model = run_turn(turn, brain="openai")
    by_local = run_turn(turn, brain="local")

    # Then the policy made the same next steps and priority for both (the model's "low" is not used)
    assert by_model.brain == "openai"
    assert [s.action for s in by_model.next_steps] == [s.action for s in by_local.next_steps]
    assert by_model.priority == by_local.priority == "medium"
