"""The quote tool in the turn: computed once, stated in the prospect's language, logged, grounded."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from conversations.agent.pipeline import run_turn
from conversations.agent.types import HistoryMessage, TurnInput
from pricing.models import PlanPrice

pytestmark = pytest.mark.django_db


def turn(message: str, history: Sequence[tuple[str, str]] = (), prospect_id: str | None = "prospect_008"):
    return run_turn(
        TurnInput(
            message=message, history=[HistoryMessage(s, c) for s, c in history], prospect_id=prospect_id
        ),
        brain="local",
    )


def test_a_price_question_with_plan_and_seats_gets_the_computed_total():
    result = turn("How much for 300 Standard seats per month?")

    assert result.intent == "pricing_inquiry"
    # 300 x $49 with the 15% volume discount
    assert "$12,495 per month" in result.draft
    assert "$149,940 per year" in result.draft
    assert "15% volume discount" in result.draft
    call = next(call for call in result.tool_log if call.tool == "quote_price")
    assert call.input == {"plan": "Standard", "seats": 300, "billing": "annual", "segment": None}
    assert "$12,495" in call.output_summary
    # The grounding guard accepted the figures: the quote tool produced them
    assert result.unsupported_claims == []
    assert "FLAG_FOR_HUMAN_REVIEW" not in [step.action for step in result.next_steps]


def test_a_follow_up_head_count_is_quoted_for_the_plan_under_discussion():
    history = [
        ("prospect", "how much would Premium be for 20 people?"),
        (
            "agent",
            "Premium is $99 per seat per month, billed annually, so 20 seats come to $1,980 per month.",
        ),
    ]

    result = turn("and for 120?", history)

    # 120 x $99 with the 10% volume discount
    assert "$10,692 per month" in result.draft


def test_stacked_discounts_and_monthly_billing_come_from_the_price_book():
    result = turn("We're a registered charity: what would 30 Basic seats cost if we pay month to month?")

    # $19 + 20% monthly surcharge, then 30% nonprofit: $15.96 per seat, x 30
    assert "$478.80 per month" in result.draft
    assert "30% discount for nonprofits" in result.draft
    assert "20% surcharge for monthly billing" in result.draft


def test_a_monthly_quote_also_shows_the_cheaper_annual_price():
    # When a prospect asks for month-to-month billing
    result = turn("How much would 12 Standard seats be if we pay month to month?")

    # Then the monthly quote ($49 + 20% = $58.80 x 12) comes with the annual price beside it
    assert "$705.60 per month" in result.draft
    assert "Billed annually instead, it would be $49 per seat per month, or $588 per month." in result.draft
    calls = [call for call in result.tool_log if call.tool == "quote_price"]
    assert [call.input["billing"] for call in calls] == ["monthly", "annual"]
    assert result.unsupported_claims == []


def test_a_quote_without_a_stated_billing_also_shows_monthly_billing():
    # When a prospect asks a price "per month" without saying how they would pay
    result = turn("How much for 300 Standard seats per month?")

    # Then the annual quote comes with its monthly-billing alternative from the price book's surcharge:
    # $41.65 (the annual seat price) + 20% = $49.98 per seat, x 300
    assert "monthly billing costs 20% more: $49.98 per seat per month, or $14,994 per month" in result.draft
    calls = [call for call in result.tool_log if call.tool == "quote_price"]
    assert [call.input["billing"] for call in calls] == ["annual", "monthly"]
    assert result.unsupported_claims == []
    # and, a quote stated, the draft closes with the line for after a quote, not an offer of one
    assert result.draft.endswith(
        "Shall I send this to you as a formal quote, or compare it with another plan?"
    )


def test_a_quote_whose_billing_the_prospect_chose_has_no_alternative():
    result = turn("How much for 300 Standard seats on annual billing?")

    assert "$149,940 per year" in result.draft
    assert "month to month" not in result.draft
    assert [call.input["billing"] for call in result.tool_log if call.tool == "quote_price"] == ["annual"]


def test_a_staff_price_edit_changes_the_next_quote():
    PlanPrice.objects.filter(name="Standard").update(seat_price="45.00")

    result = turn("What would 10 Standard seats cost?")

    assert "$450 per month" in result.draft


def test_more_seats_than_a_plan_is_quoted_for_goes_to_sales():
    result = turn("Price for 800 Standard seats please")

    assert "Enterprise plan with custom pricing" in result.draft
    assert "$" not in result.draft.split("Enterprise plan")[0].split(".")[-1]
    call = next(call for call in result.tool_log if call.tool == "quote_price")
    assert "sales" in call.output_summary


def test_a_plan_without_a_head_count_states_its_price_and_asks_for_the_count():
    result = turn("What does Premium cost?")

    # Then the draft states the plan's price per seat, computed by the quote tool for one seat, and asks
    assert "Premium costs $99 per seat per month, billed annually." in result.draft
    assert result.draft.count("$99") == 1  # the knowledge base's own price sentence is not repeated
    assert "How many seats would you need?" in result.draft
    [call] = [call for call in result.tool_log if call.tool == "quote_price"]
    assert call.input == {
        "plan": "Premium",
        "seats": 1,
        "billing": "annual",
        "segment": None,
        "requested_by": "unit_price",
    }


def test_a_plan_price_without_a_head_count_carries_the_segment_discount():
    result = turn("How much is Premium for a university?")

    assert "Premium costs $69.30 per seat per month, billed annually." in result.draft
    assert "30% discount for schools and universities" in result.draft
    assert "How many seats would you need?" in result.draft
