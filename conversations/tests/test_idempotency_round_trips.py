"""The turn request's own statements: a row inserted without a transaction of its own when none is
open, and every attempt counted by the statement that claims the row."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conversations.models import AnalysisResult

BODY = {"current_prospect_message": "Can I pay in installments?", "prospect_id": "prospect_005"}


def _post(client, key: str = "turn-123"):
    return client.post("/api/process_message", BODY, format="json", HTTP_IDEMPOTENCY_KEY=key)


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_row_is_inserted_without_begin_and_commit(api_client):
    # Given autocommit, as in production (no test transaction around the request)
    # When a turn is requested
    with CaptureQueriesContext(connection) as captured:
        response = _post(api_client)

    # Then the turn request's INSERT is a statement of its own, neither opened nor committed around it
    assert response.status_code == 200
    statements = [q["sql"] for q in captured.captured_queries]
    insert = next(
        i for i, sql in enumerate(statements) if sql.startswith('INSERT INTO "conversations_turnrequest"')
    )
    assert statements[insert - 1] != "BEGIN"
    assert statements[insert + 1] != "COMMIT"


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_a_duplicate_key_replays_and_leaves_the_connection_usable(api_client):
    # Given an answered request with a key, in autocommit
    first = _post(api_client)

    # When it is retried (its INSERT hits the unique key) and another request follows on the connection
    retry = _post(api_client)
    other = _post(api_client, key="turn-456")

    # Then the retry replays the stored turn and the next request is answered as usual
    assert retry.status_code == 200
    assert retry["Idempotent-Replayed"] == "true"
    assert retry.json() == first.json()
    assert other.status_code == 200
    assert AnalysisResult.objects.count() == 2
