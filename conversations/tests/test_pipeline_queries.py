"""Query counts of the turn pipeline, pinned so that an N+1 (per question, per chunk) fails loudly."""

from __future__ import annotations

import pytest

from conversations.agent.pipeline import run_turn
from conversations.agent.types import TurnInput

pytestmark = pytest.mark.django_db

# Everything POST /api/process_message runs for a two-question message once caches are warm: the API
# key; the turn request (insert, advisory lock, claim); receiving (prospect, conversation, message);
# linking the message (a new conversation's empty history is not read back); the reference data;
# each question's searches; then the message lock and answer check, topic, analysis, output, the
# implicit row's delete, and the unlock. Tests run inside a transaction, so each transaction of the
# request is a SAVEPOINT/RELEASE pair here.
API_TURN_QUERIES = 30


def turn(message: str):
    return run_turn(TurnInput(message=message, prospect_id="prospect_001"), brain="local")


@pytest.mark.parametrize(
    ("message", "queries"),
    [
        # the reference data (intents' version, plan names, price book digest: one query), one search
        ("Can I pay in installments?", 2),
        # the same: the quote's price book is this process's copy, current as of the digest read
        ("How much for 40 Standard seats?", 2),
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


def test_a_turn_through_the_api_runs_a_fixed_number_of_queries(api_client, django_assert_num_queries):
    def post(message: str):
        body = {"current_prospect_message": message, "prospect_id": "prospect_005"}
        return api_client.post("/api/process_message", body, format="json")

    # Given a turn that warmed the caches (intent index and policies, CRM record, the row counts of
    # the search filters these questions use)
    assert post("Can we pay by bank transfer for 20 licenses, and what about invoices?").status_code == 200

    # When a message like it but worded differently arrives (its search rankings are not cached)
    with django_assert_num_queries(API_TURN_QUERIES):
        response = post("Could we pay by wire transfer for 30 licenses, and how about invoices?")

    # Then the whole request (key, turn request, receive, agent, store) runs a pinned number of queries
    assert response.status_code == 200
