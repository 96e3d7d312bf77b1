"""Approving, editing and rejecting drafts through the services: stored decisions, messages, deliveries."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from apikeys.access import Access, Scope, ScopeDenied
from apikeys.services import access_for_key, api_key_create
from conversations.models import Message
from reviews.models import Delivery, Feedback, ReviewDecision
from reviews.services import (
    DraftAlreadyDecided,
    DraftNotFound,
    DraftSuperseded,
    draft_approve,
    draft_reject,
    feedback_create,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer() -> Access:
    user = get_user_model().objects.create_user(username="rep", password=None, is_staff=True)
    return Access.for_user(user)


def test_approving_as_is_records_the_reply_and_a_zero_edit_distance(make_draft, reviewer):
    # Given a pending draft and no outbound channel configured
    draft = make_draft()

    # When a reviewer approves it unchanged
    outcome = draft_approve(access=reviewer, output_id=draft.pk)

    # Then the decision, the agent's message and the delivery ("no channel") are stored
    decision = ReviewDecision.objects.get(output=draft)
    assert outcome.decision == decision
    assert not outcome.replayed
    assert decision.state == ReviewDecision.State.APPROVED
    assert decision.decided_by_id == reviewer.user_id
    assert decision.sent_text == draft.response_text
    assert (decision.edit_distance, decision.edit_ratio) == (0, 0.0)
    message = Message.objects.get(pk=decision.message_id or 0)
    assert (message.sender, message.content) == ("agent", draft.response_text)
    assert message.conversation_id == draft.analysis.conversation_id
    assert decision.delivery.state == Delivery.State.NO_CHANNEL


def test_approving_with_edits_stores_the_levenshtein_distance(make_draft, reviewer):
    # Given a draft
    draft = make_draft(draft="The Standard plan is $49 per seat.")

    # When the reviewer corrects the price before approving
    draft_approve(access=reviewer, output_id=draft.pk, text="  The Standard plan is $59 per seat.  ")

    # Then the sent text is the edited one (trimmed) and the distance counts one substitution
    decision = ReviewDecision.objects.get(output=draft)
    assert decision.sent_text == "The Standard plan is $59 per seat."
    assert decision.draft_text == "The Standard plan is $49 per seat."
    assert decision.edit_distance == 1
    assert decision.edit_ratio == pytest.approx(1 / 34, abs=1e-4)
    assert Message.objects.get(pk=decision.message_id or 0).content == "The Standard plan is $59 per seat."


def test_rejecting_stores_the_reason_and_sends_nothing(make_draft, reviewer):
    draft = make_draft()
    messages_before = Message.objects.count()

    draft_reject(access=reviewer, output_id=draft.pk, reason="Quotes last year's price")

    decision = ReviewDecision.objects.get(output=draft)
    assert decision.state == ReviewDecision.State.REJECTED
    assert decision.rejection_reason == "Quotes last year's price"
    assert decision.sent_text == ""
    assert decision.edit_distance is None
    assert Message.objects.count() == messages_before
    assert not Delivery.objects.exists()


def test_a_decided_draft_cannot_be_decided_differently(make_draft, reviewer):
    # Given an approved draft
    draft = make_draft()
    draft_approve(access=reviewer, output_id=draft.pk)

    # When someone rejects it, or approves a different text
    with pytest.raises(DraftAlreadyDecided):
        draft_reject(access=reviewer, output_id=draft.pk, reason="too late")
    with pytest.raises(DraftAlreadyDecided):
        draft_approve(access=reviewer, output_id=draft.pk, text="Something else entirely.")

    # Then the first decision stands and only one reply was recorded
    assert ReviewDecision.objects.get(output=draft).state == ReviewDecision.State.APPROVED
    assert Message.objects.filter(conversation_id=draft.analysis.conversation_id, sender="agent").count() == 1


def test_repeating_the_same_approval_is_a_replay_that_records_and_sends_nothing_new(make_draft, reviewer):
    draft = make_draft()
    first = draft_approve(access=reviewer, output_id=draft.pk, text="Edited reply.")

    again = draft_approve(access=reviewer, output_id=draft.pk, text="Edited reply.")

    assert again.replayed
    assert again.decision.pk == first.decision.pk
    assert Message.objects.filter(conversation_id=draft.analysis.conversation_id, sender="agent").count() == 1
    assert Delivery.objects.count() == 1


def test_a_superseded_draft_cannot_be_approved_but_can_be_rejected(make_draft, reviewer):
    # Given a draft whose prospect has written again since
    draft = make_draft()
    make_draft(conversation=draft.analysis.conversation, message="Actually, what about Premium?")

    # When a reviewer tries to send the stale draft
    with pytest.raises(DraftSuperseded):
        draft_approve(access=reviewer, output_id=draft.pk)

    # Then nothing was recorded; rejecting it is still possible
    assert not ReviewDecision.objects.filter(output=draft).exists()
    draft_reject(access=reviewer, output_id=draft.pk, reason="answered by the newer turn")
    assert ReviewDecision.objects.get(output=draft).state == ReviewDecision.State.REJECTED


def test_a_key_without_reviews_write_is_refused(make_draft, django_user_model):
    user = django_user_model.objects.create_user(username="reader", password=None)
    key, _ = api_key_create(user=user, name="reader", scopes=[Scope.REVIEWS_READ, Scope.CONVERSATIONS_READ])
    draft = make_draft()

    with pytest.raises(ScopeDenied):
        draft_approve(access=access_for_key(key), output_id=draft.pk)

    assert not ReviewDecision.objects.exists()


def test_a_key_without_conversations_read_decides_only_its_own_conversations_drafts(
    make_draft, django_user_model
):
    # Given a reviews:write key, one draft in a conversation it created and one created by another
    user = django_user_model.objects.create_user(username="inbox", password=None)
    key, _ = api_key_create(user=user, name="inbox", scopes=[Scope.REVIEWS_WRITE])
    own = make_draft(api_key=key)
    foreign = make_draft()
    access = access_for_key(key)

    # When it approves both
    draft_approve(access=access, output_id=own.pk)
    with pytest.raises(DraftNotFound):
        draft_approve(access=access, output_id=foreign.pk)

    # Then only its own was approved (and its reply recorded, though the key lacks turns:write)
    assert ReviewDecision.objects.get(output=own).api_key_id == key.pk
    assert not ReviewDecision.objects.filter(output=foreign).exists()


def test_feedback_is_stored_with_its_reason_note_and_correction(make_draft, reviewer):
    draft = make_draft()

    feedback_create(
        access=reviewer,
        output_id=draft.pk,
        reason=Feedback.Reason.OUTDATED,
        note="Price changed in March",
        corrected_text="The Standard plan is $59 per seat per month.",
    )

    stored = Feedback.objects.get(output=draft)
    assert stored.reason == "outdated"
    assert stored.note == "Price changed in March"
    assert stored.corrected_text.startswith("The Standard plan is $59")
    assert stored.user_id == reviewer.user_id
