"""Conversations admin: a conversation page shows its messages, analyses and the agent's outputs."""

from __future__ import annotations

import re

import pytest
from django.conf import settings

from apikeys.access import SYSTEM
from conversations.intents import text_hash
from conversations.models import Intent, ReaderModel, TrainingExample
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


def test_conversation_page_shows_each_analysis_after_the_message_it_answers(admin_client):
    # Given a conversation with two answered turns
    first = turn_process(access=SYSTEM, message="Can I pay in installments?", prospect_id="prospect_005")
    second = turn_process(
        access=SYSTEM, message="Do you integrate with Slack?", conversation_id=first.conversation.pk
    )

    html = admin_client.get(
        f"/admin/conversations/conversation/{first.conversation.pk}/change/"
    ).content.decode()

    # Then each analysis block follows its own message and comes before the next message
    positions = [
        html.index(f'id="message-{first.message.pk}"'),
        html.index(f'id="analysis-{first.analysis.pk}"'),
        html.index(f'id="message-{second.message.pk}"'),
        html.index(f'id="analysis-{second.analysis.pk}"'),
    ]
    assert positions == sorted(positions)
    # Next steps and tool calls are tables, the CRM record is fields, booleans are words
    assert '<table class="turn-next-steps">' in html
    assert "<code>EXPLAIN_PAYMENT_OPTIONS</code>" in html
    assert '<table class="turn-tool-calls">' in html
    assert "<th>Lead score</th>" in html
    assert "<th>Degraded</th><td>No</td>" in html
    assert "icon-no.svg" not in html
    assert '"action": "EXPLAIN_PAYMENT_OPTIONS"' not in html  # no raw JSON


def _needs_review(stored) -> str:
    flagged = any(step["action"] == "FLAG_FOR_HUMAN_REVIEW" for step in stored.output.next_steps)
    needs = (
        flagged
        or stored.analysis.confidence < settings.HUMAN_REVIEW_CONFIDENCE_THRESHOLD
        or stored.output.degraded
        or stored.analysis.sentiment == "negative"
    )
    return "Yes" if needs else "No"


def test_conversation_list_shows_intent_priority_and_needs_review(admin_client):
    # Given a calm question and an angry complaint
    calm = turn_process(access=SYSTEM, message="Can I pay in installments?", prospect_id="prospect_005")
    angry = turn_process(
        access=SYSTEM,
        message="This is unacceptable, your product broke our billing!",
        prospect_id="prospect_007",
    )

    html = admin_client.get("/admin/conversations/conversation/").content.decode()

    # Then the list has the triage columns, filled from each conversation's latest turn
    for column in ("column-latest_intent", "column-latest_priority", "column-needs_review"):
        assert column in html
    calm_row, angry_row = _row(html, calm.conversation.pk), _row(html, angry.conversation.pk)
    assert f">{calm.analysis.intent}<" in calm_row
    assert f">{calm.analysis.priority}<" in calm_row
    assert f">{angry.analysis.intent}<" in angry_row
    assert angry.analysis.sentiment == "negative"
    assert '<td class="field-needs_review">Yes</td>' in angry_row
    assert f'<td class="field-needs_review">{_needs_review(calm)}</td>' in calm_row
    # And it filters by intent
    filtered = admin_client.get(
        "/admin/conversations/conversation/", {"analyses__intent": angry.analysis.intent}
    )
    assert f"/admin/conversations/conversation/{angry.conversation.pk}/change/" in filtered.content.decode()
    assert (
        f"/admin/conversations/conversation/{calm.conversation.pk}/change/" not in filtered.content.decode()
    )


def _row(html: str, conversation_id: int) -> str:
    """The changelist row of one conversation."""
    for row in re.findall(r"<tr>.*?</tr>", html, re.S):
        if f"/admin/conversations/conversation/{conversation_id}/change/" in row:
            return row
    raise AssertionError(f"conversation {conversation_id} is not listed")


def test_the_intent_list_shows_how_the_reader_scores_each_intent(admin_client):
    reader = ReaderModel.objects.get(is_active=True)
    figures = reader.metrics["intent"]["per_intent"]["pricing_inquiry"]

    html = admin_client.get("/admin/conversations/intent/").content.decode()

    # Then the active version, its cross-validated accuracy and each intent's row are on the page
    assert f"Reader v{reader.version}" in html
    assert f"{reader.metrics['intent']['accuracy']:.3f}" in html
    row = re.search(r"<td>pricing_inquiry</td>\s*<td>([\d.]+)</td>\s*<td>([\d.]+)</td>", html)
    assert row is not None
    assert (float(row[1]), float(row[2])) == (
        pytest.approx(figures["precision"], abs=0.005),
        pytest.approx(figures["recall"], abs=0.005),
    )


def test_the_intent_list_shows_how_the_risk_head_reads_each_kind_of_request(admin_client):
    reader = ReaderModel.objects.get(is_active=True)
    figures = reader.metrics["risk"]["per_kind"]["authority_claim"]

    html = admin_client.get("/admin/conversations/intent/").content.decode()

    # Then each kind of request to refuse has its cross-validated precision, recall, examples, threshold
    row = re.search(
        r"<td>authority_claim</td><td>([\d.]+)</td><td>([\d.]+)</td><td>(\d+)</td><td>([\d.]+)</td>", html
    )
    assert row is not None
    assert (float(row[1]), float(row[2]), int(row[3]), float(row[4])) == (
        pytest.approx(figures["precision"], abs=0.005),
        pytest.approx(figures["recall"], abs=0.005),
        figures["support"],
        pytest.approx(figures["threshold"], abs=0.005),
    )


def test_accepting_candidate_examples_in_bulk_queues_retraining(
    admin_client, django_capture_on_commit_callbacks
):
    # Given two reviewers' corrections waiting as candidates
    intent = Intent.objects.get(name="payment_question")
    candidates = [
        TrainingExample.objects.create(
            text=text,
            text_hash=text,
            kind=TrainingExample.Kind.INTENT,
            intent=intent,
            status=TrainingExample.Status.CANDIDATE,
            source=TrainingExample.Source.REVIEW,
        )
        for text in ("Can the invoice go to our accounts payable inbox?", "Do you bill in euros?")
    ]

    # When staff accept them with the bulk action
    with django_capture_on_commit_callbacks() as callbacks:
        response = admin_client.post(
            "/admin/conversations/trainingexample/",
            {"action": "accept", "_selected_action": [c.pk for c in candidates]},
            follow=True,
        )

    # Then they are accepted (hashed by their text) and a retraining is queued for after the commit
    assert response.status_code == 200
    assert "2 example(s) accepted" in response.content.decode()
    assert set(
        TrainingExample.objects.filter(pk__in=[c.pk for c in candidates]).values_list("status", flat=True)
    ) == {"accepted"}
    assert TrainingExample.objects.get(pk=candidates[1].pk).text_hash == text_hash("Do you bill in euros?")
    assert len(callbacks) == 1
