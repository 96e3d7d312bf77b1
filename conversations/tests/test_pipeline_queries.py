"""Query counts of the turn pipeline, pinned so that an N+1 (per question, per chunk) fails loudly."""

from __future__ import annotations

import pytest

from conversations.agent.pipeline import run_turn
from conversations.agent.types import TurnInput

pytestmark = pytest.mark.django_db


def turn(message: str):
    return run_turn(TurnInput(message=message, prospect_id="prospect_001"), brain="local")


@pytest.mark.parametrize(
    ("message", "queries"),
    [
        # the reference data (the intents' version and the plan names, one query), one search
        ("Can I pay in installments?", 2),
        # the same, plus the quote: price book, plans, volume tiers, segment discounts
        ("How much for 40 Standard seats?", 6),
        # one search per question: three questions, three searches
        ("Three things: SSO? bank transfer? onboarding time?", 4),
    ],
)
def test_a_turn_runs_a_fixed_number_of_queries(message, queries, django_assert_num_queries):
    # Given caches warm from the same turn (search rankings, CRM record, embeddings)
    turn(message)

    # When it runs again, then the query count is pinned
    with django_assert_num_queries(queries):
        result = turn(message)
    assert result.draft
