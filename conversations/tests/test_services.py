"""Receiving and answering turns: what the receiving step tells the answering step."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apikeys.access import SYSTEM
from conversations.agent.types import HistoryMessage
from conversations.models import Message
from conversations.services import turn_answer, turn_receive

pytestmark = pytest.mark.django_db

READS_HISTORY = '"conversations_message"."sender" AS "sender"'


def test_a_message_opening_a_new_conversation_is_answered_without_reading_history_back():
    # Given a message that opens a new conversation on its own
    message = turn_receive(access=SYSTEM, message="Can I pay in installments?", prospect_id="prospect_005")
    assert message.opens_conversation

    # When it is answered
    with CaptureQueriesContext(connection) as captured:
        stored = turn_answer(message=message, brain="local", just_received=True)

    # Then no query read its (empty) history, and the turn was answered and stored
    assert not any(READS_HISTORY in query["sql"] for query in captured.captured_queries)
    assert stored.analysis.intent == "payment_question"


def test_history_sent_with_a_new_conversation_or_already_stored_is_read_back():
    # Given a new conversation sent with history, and a message added to an existing conversation
    with_history = turn_receive(
        access=SYSTEM,
        message="yes please",
        history=[HistoryMessage("agent", "Would you like to book a demo call?")],
    )
    follow_up = turn_receive(
        access=SYSTEM, message="And for 40 seats?", conversation_id=with_history.conversation_id
    )

    # Then neither is taken to open its conversation, nor is a message read back from the database
    assert not with_history.opens_conversation
    assert not follow_up.opens_conversation
    assert not Message.objects.get(pk=with_history.pk).opens_conversation

    # And answering reads the history: the yes takes the intent of the agent's offer
    with CaptureQueriesContext(connection) as captured:
        stored = turn_answer(message=with_history, brain="local", just_received=True)
    assert any(READS_HISTORY in query["sql"] for query in captured.captured_queries)
    assert stored.analysis.intent == "meeting_request"
