"""Two reviewers deciding the same draft at the same moment: exactly one decision wins."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from apikeys.access import SYSTEM
from conversations.models import Message
from reviews.models import ReviewDecision
from reviews.services import DraftAlreadyDecided, draft_approve, draft_reject

# Each reviewer works on its own connection, so the rows must really be committed.
pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_approve_and_reject_leave_one_decision_and_at_most_one_reply(make_draft):
    # Given a committed draft and two reviewers ready to act at once
    draft = make_draft()
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def act(decide) -> None:
        try:
            start.wait()
            decide()
            outcomes.append("decided")
        except DraftAlreadyDecided:
            outcomes.append("refused")
        finally:
            connection.close()

    reviewers = [
        threading.Thread(target=act, args=(lambda: draft_approve(access=SYSTEM, output_id=draft.pk),)),
        threading.Thread(
            target=act, args=(lambda: draft_reject(access=SYSTEM, output_id=draft.pk, reason="no"),)
        ),
    ]

    # When both decide
    for thread in reviewers:
        thread.start()
    for thread in reviewers:
        thread.join(timeout=30)

    # Then one decided and the other was told the draft is already decided
    assert sorted(outcomes) == ["decided", "refused"]
    decision = ReviewDecision.objects.get(output=draft)
    agent_messages = Message.objects.filter(
        conversation_id=draft.analysis.conversation_id, sender="agent"
    ).count()
    assert agent_messages == (1 if decision.state == ReviewDecision.State.APPROVED else 0)
