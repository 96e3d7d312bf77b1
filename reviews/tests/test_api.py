"""The reviews API: the queue's order and filters, deciding drafts, feedback, and who sees what."""

from __future__ import annotations

from datetime import timedelta

import pytest

from apikeys.access import Scope
from apikeys.services import api_key_create
from conftest import key_client
from conversations.models import Message
from reviews.models import Delivery, Feedback, ReviewDecision

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue(make_draft) -> dict[str, int]:
    """Drafts covering every signal, named by what they are; ids by name."""
    drafts = {
        "low_calm_old": make_draft(priority="low", age=timedelta(hours=3)),
        "high_calm": make_draft(priority="high", age=timedelta(hours=1)),
        "medium_flagged": make_draft(
            priority="medium",
            flag_reasons=("asks about a discount we do not offer",),
            age=timedelta(minutes=10),
        ),
        "low_negative": make_draft(
            priority="low", sentiment="negative", intent="complaint", age=timedelta(hours=2)
        ),
        "medium_unsure": make_draft(priority="medium", confidence=0.3, age=timedelta(minutes=30)),
        "high_degraded": make_draft(priority="high", degraded=True, age=timedelta(minutes=5)),
        "medium_calm": make_draft(priority="medium", age=timedelta(hours=2)),
    }
    return {name: draft.pk for name, draft in drafts.items()}


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_queue_lists_attention_first_then_priority_then_oldest(staff_api_client, queue):
    response = staff_api_client.get("/api/reviews/")

    assert _ids(response) == [
        queue["high_degraded"],
        queue["medium_unsure"],
        queue["medium_flagged"],
        queue["low_negative"],
        queue["high_calm"],
        queue["medium_calm"],
        queue["low_calm_old"],
    ]
    rows = {row["id"]: row for row in response.json()["results"]}
    flagged = rows[queue["medium_flagged"]]
    assert flagged["flagged"]
    assert flagged["needs_attention"]
    assert flagged["state"] == "pending"
    assert flagged["flag_reasons"] == ["asks about a discount we do not offer"]
    assert rows[queue["medium_unsure"]]["flag_reasons"] == ["low confidence (0.30)"]
    assert rows[queue["low_calm_old"]]["age_seconds"] >= 3 * 3600
    assert rows[queue["high_calm"]]["prospect_message"] == "How much is the Standard plan?"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"priority": "high"}, {"high_calm", "high_degraded"}),
        ({"intent": "complaint"}, {"low_negative"}),
        ({"sentiment": "negative"}, {"low_negative"}),
        ({"flagged": "true"}, {"medium_flagged"}),
        ({"degraded": "true"}, {"high_degraded"}),
        ({"low_confidence": "true"}, {"medium_unsure"}),
        ({"priority": "medium", "flagged": "false"}, {"medium_unsure", "medium_calm"}),
    ],
)
def test_queue_filters(staff_api_client, queue, query, expected):
    ids = _ids(staff_api_client.get("/api/reviews/", query))

    assert set(ids) == {queue[name] for name in expected}


def test_state_filter_separates_pending_superseded_and_decided(staff_api_client, make_draft):
    # Given a pending draft, one superseded by a newer prospect message, an approved and a rejected one
    pending = make_draft()
    superseded = make_draft()
    newer = make_draft(conversation=superseded.analysis.conversation, message="And Premium?")
    approved, rejected = make_draft(), make_draft()
    staff_api_client.post(f"/api/reviews/{approved.pk}/approve", {}, format="json")
    staff_api_client.post(f"/api/reviews/{rejected.pk}/reject", {"reason": "wrong"}, format="json")

    # Then each state lists its own; the default is the pending queue
    assert set(_ids(staff_api_client.get("/api/reviews/"))) == {pending.pk, newer.pk}
    assert _ids(staff_api_client.get("/api/reviews/", {"state": "superseded"})) == [superseded.pk]
    assert _ids(staff_api_client.get("/api/reviews/", {"state": "approved"})) == [approved.pk]
    assert _ids(staff_api_client.get("/api/reviews/", {"state": "rejected"})) == [rejected.pk]
    assert len(_ids(staff_api_client.get("/api/reviews/", {"state": "all"}))) == 5


def test_bad_filter_values_are_field_errors(staff_api_client):
    priority = staff_api_client.get("/api/reviews/", {"priority": "urgent"})
    flagged = staff_api_client.get("/api/reviews/", {"flagged": "maybe"})
    state = staff_api_client.get("/api/reviews/", {"state": "done"})

    assert (priority.status_code, list(priority.json())) == (400, ["priority"])
    assert (flagged.status_code, list(flagged.json())) == (400, ["flagged"])
    assert (state.status_code, list(state.json())) == (400, ["state"])


def test_queue_query_count_does_not_grow_with_the_page(
    staff_api_client, make_draft, django_assert_max_num_queries
):
    for _ in range(2):
        make_draft()
    with django_assert_max_num_queries(4):  # key lookup, count, page (+ key's last-used update)
        few = staff_api_client.get("/api/reviews/")
    for _ in range(10):
        make_draft(flag_reasons=("x",))
    with django_assert_max_num_queries(4):
        many = staff_api_client.get("/api/reviews/")

    assert few.json()["count"] == 2
    assert many.json()["count"] == 12


def test_detail_shows_the_conversation_so_far_tool_calls_and_crm(staff_api_client, make_draft):
    draft = make_draft(history=(("prospect", "Hi there"), ("agent", "Hello! How can I help?")))

    body = staff_api_client.get(f"/api/reviews/{draft.pk}/").json()

    assert [m["content"] for m in body["conversation"]] == [
        "Hi there",
        "Hello! How can I help?",
        "How much is the Standard plan?",
    ]
    assert body["tool_usage_log"][0]["tool"] == "knowledge_search"
    assert body["crm_snapshot"]["lead_score"] == 72
    assert body["decision"] is None


def test_approve_with_edits_through_the_api_stores_the_decision_and_the_message(staff_api_client, make_draft):
    draft = make_draft(draft="Standard is $49 per seat.")

    response = staff_api_client.post(
        f"/api/reviews/{draft.pk}/approve",
        {"text": "Standard is $49 per seat, billed yearly."},
        format="json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "approved"
    assert body["decision"]["edit_distance"] == len(", billed yearly")
    assert body["decision"]["decided_by"] == "staff-user"
    assert body["decision"]["delivery"]["state"] == "no_channel"
    decision = ReviewDecision.objects.get(output=draft)
    assert decision.sent_text == "Standard is $49 per seat, billed yearly."
    assert Message.objects.get(pk=decision.message_id or 0).content == decision.sent_text


def test_approve_as_is_through_the_api(staff_api_client, make_draft):
    draft = make_draft()

    response = staff_api_client.post(f"/api/reviews/{draft.pk}/approve", {}, format="json")

    assert response.status_code == 200
    assert response.json()["decision"]["edit_distance"] == 0
    decision = ReviewDecision.objects.get(output=draft)
    assert (decision.state, decision.sent_text, decision.edit_ratio) == ("approved", draft.response_text, 0.0)
    agent = Message.objects.get(conversation_id=draft.analysis.conversation_id, sender="agent")
    assert agent.content == draft.response_text


def test_reject_needs_a_reason_and_stores_it(staff_api_client, make_draft):
    draft = make_draft()

    missing = staff_api_client.post(f"/api/reviews/{draft.pk}/reject", {}, format="json")
    blank = staff_api_client.post(f"/api/reviews/{draft.pk}/reject", {"reason": "   "}, format="json")
    done = staff_api_client.post(
        f"/api/reviews/{draft.pk}/reject", {"reason": "Promises a discount"}, format="json"
    )

    assert missing.status_code == 400
    assert "reason" in missing.json()
    assert blank.status_code == 400
    assert "reason" in blank.json()
    assert done.status_code == 200
    assert done.json()["decision"]["rejection_reason"] == "Promises a discount"
    assert ReviewDecision.objects.get(output=draft).state == "rejected"


def test_deciding_a_decided_draft_is_409_and_changes_nothing(staff_api_client, make_draft):
    draft = make_draft()
    staff_api_client.post(f"/api/reviews/{draft.pk}/reject", {"reason": "wrong price"}, format="json")

    response = staff_api_client.post(f"/api/reviews/{draft.pk}/approve", {}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "draft_already_decided"
    assert response.json()["state"] == "rejected"
    assert ReviewDecision.objects.get(output=draft).state == "rejected"
    assert not Message.objects.filter(conversation_id=draft.analysis.conversation_id, sender="agent").exists()


def test_a_retried_approval_replays_without_sending_twice(staff_api_client, make_draft, settings, receiver):
    settings.OUTBOUND_WEBHOOK_URL = receiver.url
    settings.OUTBOUND_WEBHOOK_SECRET = receiver.secret
    draft = make_draft()

    first = staff_api_client.post(f"/api/reviews/{draft.pk}/approve", {"text": "Sure."}, format="json")
    retry = staff_api_client.post(f"/api/reviews/{draft.pk}/approve", {"text": "Sure."}, format="json")

    assert first.status_code == retry.status_code == 200
    assert "Idempotent-Replayed" not in first
    assert retry["Idempotent-Replayed"] == "true"
    assert Delivery.objects.count() == 1
    assert Message.objects.filter(conversation_id=draft.analysis.conversation_id, sender="agent").count() == 1


def test_approving_a_superseded_draft_is_409(staff_api_client, make_draft):
    draft = make_draft()
    make_draft(conversation=draft.analysis.conversation, message="Never mind, what about Premium?")

    response = staff_api_client.post(f"/api/reviews/{draft.pk}/approve", {}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "draft_superseded"
    assert not ReviewDecision.objects.exists()


def test_feedback_through_the_api(staff_api_client, make_draft):
    draft = make_draft()

    response = staff_api_client.post(
        f"/api/reviews/{draft.pk}/feedback",
        {"reason": "incorrect_information", "note": "Wrong price", "corrected_text": "It is $59."},
        format="json",
    )
    bad = staff_api_client.post(f"/api/reviews/{draft.pk}/feedback", {"reason": "rude"}, format="json")

    assert response.status_code == 201, response.content
    stored = Feedback.objects.get(output=draft)
    assert (stored.reason, stored.note, stored.corrected_text) == (
        "incorrect_information",
        "Wrong price",
        "It is $59.",
    )
    assert bad.status_code == 400
    assert "reason" in bad.json()
    assert Feedback.objects.count() == 1


def test_unknown_draft_ids_are_404(staff_api_client):
    assert staff_api_client.get("/api/reviews/999999/").status_code == 404
    assert staff_api_client.post("/api/reviews/999999/approve", {}, format="json").status_code == 404
    assert staff_api_client.post(f"/api/reviews/{2**70}/approve", {}, format="json").status_code == 404
    assert staff_api_client.get("/api/reviews/abc/").status_code == 404
    for action in ("approve", "reject", "feedback"):
        assert staff_api_client.post(f"/api/reviews/abc/{action}", {}, format="json").status_code == 404


def test_a_key_without_conversations_read_sees_and_decides_only_its_own_drafts(make_draft, django_user_model):
    # Given a review key that created one conversation, and a draft in a conversation it did not create
    user = django_user_model.objects.create_user(username="inbox", password=None)
    key, secret = api_key_create(user=user, name="inbox", scopes=[Scope.REVIEWS_READ, Scope.REVIEWS_WRITE])
    client = key_client(secret)
    own, foreign = make_draft(api_key=key), make_draft()

    # Then it lists and opens only its own, and cannot approve the other
    assert _ids(client.get("/api/reviews/")) == [own.pk]
    assert client.get(f"/api/reviews/{foreign.pk}/").status_code == 404
    response = client.post(f"/api/reviews/{foreign.pk}/approve", {}, format="json")
    assert response.status_code == 404
    assert response.json()["code"] == "draft_not_found"
    assert client.post(f"/api/reviews/{own.pk}/approve", {}, format="json").status_code == 200
    assert ReviewDecision.objects.get().output_id == own.pk
