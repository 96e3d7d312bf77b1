"""What a turn reads of the tables staff edit: one query, and every edit seen on the next turn although
the intent index and policies stay cached per process."""

from __future__ import annotations

import pytest

from conversations.agent.pipeline import run_turn
from conversations.agent.reference_data import intents_version, reference_data
from conversations.agent.types import TurnInput
from conversations.intents import intent_save
from conversations.models import Action, Intent
from pricing.models import PlanPrice, PriceBook, VolumeDiscount

pytestmark = pytest.mark.django_db


def turn(message: str):
    return run_turn(TurnInput(message=message, prospect_id="prospect_001"), brain="local")


def primary_action(message: str) -> str:
    return str(turn(message).next_steps[0].action)


def test_reference_data_is_one_query_with_the_plan_names_in_display_order(django_assert_num_queries):
    with django_assert_num_queries(1):
        reference = reference_data()

    assert reference.vocabulary.plan_names == ("Basic", "Standard", "Premium", "Enterprise")
    assert reference.intents_version == intents_version()


def test_a_policy_edit_is_seen_on_the_next_turn_with_the_policies_cached():
    # Given a turn that cached this process's policies
    message = "Can I pay in installments?"
    assert primary_action(message) == Action.EXPLAIN_PAYMENT_OPTIONS

    # When staff change the intent's primary action in the admin
    intent = Intent.objects.get(name="payment_question")
    intent.primary_action = Action.SCHEDULE_MEETING
    intent_save(intent=intent)

    # Then the next turn follows the edit
    assert primary_action(message) == Action.SCHEDULE_MEETING


def test_an_edit_that_leaves_updated_at_behind_is_seen_on_the_next_turn():
    # Given a turn that cached this process's policies
    message = "Can I pay in installments?"
    assert primary_action(message) == Action.EXPLAIN_PAYMENT_OPTIONS
    before = intents_version()

    # When another process, whose clock is behind ours, edits the policy (updated_at does not move)
    Intent.objects.filter(name="payment_question").update(primary_action=Action.SCHEDULE_MEETING)

    # Then the version changes and the next turn follows the edit
    assert intents_version() != before
    assert primary_action(message) == Action.SCHEDULE_MEETING


@pytest.mark.parametrize(
    "edit",
    [
        {"name": "payment_questions"},
        {"is_active": False},
        {"reply_frames": {"en": {"opener": "Hi{name_comma}"}}},
        {"knowledge_categories": ["security", "billing"]},
    ],
    ids=["rename", "deactivate", "reply-frames", "categories"],
)
def test_every_intent_edit_changes_the_version(edit):
    before = intents_version()

    Intent.objects.filter(name="payment_question").update(**edit)

    assert intents_version() != before


def test_an_unchanged_save_keeps_the_version():
    # The version is a digest of the rows' content: saving without a change reloads nothing.
    before = intents_version()

    intent_save(intent=Intent.objects.get(name="payment_question"))

    assert intents_version() == before


def test_a_new_plan_is_quoted_on_the_next_turn():
    # Given a turn that read the plan names
    turn("How much for 40 Standard seats?")

    # When staff add a plan to the active price book
    PlanPrice.objects.create(
        price_book=PriceBook.objects.get(is_active=True), name="Starter", seat_price="9.00", sort_order=0
    )

    # Then the next turn reads a price question about it and quotes it
    result = turn("How much for 40 Starter seats?")
    call = next(call for call in result.tool_log if call.tool == "quote_price")
    assert call.input["plan"] == "Starter"
    assert "$360 per month" in result.draft


def test_a_price_edit_is_quoted_on_the_next_turn_with_the_price_book_cached():
    # Given a quote turn that cached this process's copy of the price book
    assert "$1,960 per month" in turn("How much for 40 Standard seats?").draft

    # When another process edits the price and a volume tier (updated_at untouched)
    PlanPrice.objects.filter(name="Standard").update(seat_price="45.00")
    VolumeDiscount.objects.filter(price_book__is_active=True).update(percent="20.00")

    # Then the next turn reads a new digest and quotes the edited book: 40 x $45, no tier below 50
    assert "$1,800 per month" in turn("How much for 40 Standard seats?").draft
    assert "$7,200 per month" in turn("How much for 200 Standard seats?").draft  # 200 x $36 (20% off)
