"""Conversations admin: a conversation page shows its messages, analyses and the agent's outputs."""

from __future__ import annotations

import pytest

from apikeys.access import SYSTEM
from conversations.models import Intent
from conversations.services import turn_process

pytestmark = pytest.mark.django_db


def test_conversation_page_shows_messages_analysis_and_output(admin_client):
    stored = turn_process(access=SYSTEM, message="Can I pay in installments?", prospect_id="prospect_005")

    page = admin_client.get(f"/admin/conversations/conversation/{stored.conversation.pk}/change/")
    html = page.content.decode()

    assert "Can I pay in installments?" in html
    assert "payment_question" in html
    assert "EXPLAIN_PAYMENT_OPTIONS" in html
    assert "knowledge_search" in html
    assert stored.output.response_text.split(".")[0] in html


def test_conversation_list_filters_by_message_text(admin_client):
    turn_process(access=SYSTEM, message="Do you integrate with Snowflake?", prospect_id="prospect_006")
    turn_process(access=SYSTEM, message="Hello there!", prospect_id="prospect_007")

    html = admin_client.get("/admin/conversations/conversation/", {"q": "Snowflake"}).content.decode()

    assert "prospect_006" in html
    assert "prospect_007" not in html


def test_intent_examples_are_edited_one_per_line(admin_client):
    intent = Intent.objects.get(name="greeting")
    page = admin_client.get(f"/admin/conversations/intent/{intent.pk}/change/").content.decode()
    assert intent.examples[0] in page

    response = admin_client.post(
        f"/admin/conversations/intent/{intent.pk}/change/",
        {
            "name": "greeting",
            "description": intent.description,
            "primary_action": intent.primary_action,
            "examples": "Hi there\n\n  Good morning!  \nHowdy",
            "knowledge_categories": "",
            "is_active": "on",
            "priority_class": "low",
            "sentiment_override": "positive",
            "answer_source": "none",
            "standing_queries": "{}",
            "reply_frames": '{"en": {"opener": "Hi{name_space}!", "closer": "What brings you here?"}}',
        },
    )

    assert response.status_code == 302
    intent.refresh_from_db()
    assert intent.examples == ["Hi there", "Good morning!", "Howdy"]
    assert intent.knowledge_categories == []
    assert intent.reply_frames["en"]["closer"] == "What brings you here?"
    # The stored embeddings follow the edit: exactly the new examples (and the description) are stored
    stored = set(intent.example_rows.filter(is_description=False).values_list("text", flat=True))
    assert stored == {"Hi there", "Good morning!", "Howdy"}


def test_an_intent_edit_with_malformed_reply_frames_is_refused(admin_client):
    intent = Intent.objects.get(name="greeting")

    response = admin_client.post(
        f"/admin/conversations/intent/{intent.pk}/change/",
        {
            "name": "greeting",
            "description": intent.description,
            "primary_action": intent.primary_action,
            "examples": "Hi there",
            "priority_class": "low",
            "answer_source": "none",
            "standing_queries": "{}",
            "reply_frames": '{"en": {"greeting": "Hi"}}',
            "is_active": "on",
        },
    )

    assert response.status_code == 200
    assert "unknown keys" in response.content.decode()
    intent.refresh_from_db()
    assert "Hi there" not in intent.examples
