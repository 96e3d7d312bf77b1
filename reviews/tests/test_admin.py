"""The admin's review queue and review page, driven as a signed-in staff member would (the test client
posting the page's own buttons)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from apikeys.access import SYSTEM
from conversations.models import Message
from crm.models import Proposal
from reviews.models import Feedback, ReviewDecision, WebhookEndpoint
from reviews.selectors import pending_draft_count
from reviews.services import draft_reject

pytestmark = pytest.mark.django_db

QUEUE = "/admin/reviews/draftreview/"


def _page(draft) -> str:
    return f"{QUEUE}{draft.pk}/change/"


def _listed_ids(html: str) -> list[int]:
    # Each row links to its review page; the order of those links is the queue's order.
    return [int(pk) for pk in re.findall(r'href="/admin/reviews/draftreview/(\d+)/change/[^"]*"', html)]


def test_queue_page_orders_drafts_like_the_selector_and_shows_the_columns(admin_client, make_draft):
    calm_low = make_draft(priority="low", age=timedelta(hours=2))
    calm_high = make_draft(priority="high", age=timedelta(hours=1))
    flagged = make_draft(priority="low", flag_reasons=("mentions a lawyer",), prospect_id="prospect_003")

    html = admin_client.get(QUEUE).content.decode()

    assert _listed_ids(html) == [flagged.pk, calm_high.pk, calm_low.pk]
    assert "mentions a lawyer" in html
    assert "prospect_003" in html
    assert "pricing_inquiry" in html
    assert 'id="review-metrics"' in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"priority": "high"}, {"high"}),
        ({"flagged": "yes"}, {"flagged"}),
        ({"degraded": "yes"}, {"degraded"}),
        ({"sentiment": "negative"}, {"negative"}),
        ({"low_confidence": "yes"}, {"unsure"}),
        ({"intent": "complaint"}, {"negative"}),
        ({"state": "approved"}, {"approved"}),
        ({"state": "all"}, {"high", "flagged", "degraded", "negative", "unsure", "approved"}),
    ],
)
def test_queue_page_filters(admin_client, make_draft, query, expected):
    drafts = {
        "high": make_draft(priority="high"),
        "flagged": make_draft(priority="low", flag_reasons=("x",)),
        "degraded": make_draft(priority="low", degraded=True),
        "negative": make_draft(priority="low", sentiment="negative", intent="complaint"),
        "unsure": make_draft(priority="low", confidence=0.2),
        "approved": make_draft(priority="low"),
    }
    admin_client.post(
        _page(drafts["approved"]), {"text": drafts["approved"].response_text, "_approve": "Approve"}
    )

    html = admin_client.get(QUEUE, query).content.decode()

    assert set(_listed_ids(html)) == {drafts[name].pk for name in expected}


def test_review_page_shows_the_message_history_draft_and_tables(admin_client, make_draft):
    draft = make_draft(
        history=(("prospect", "Hello"), ("agent", "Hi! How can I help?")), flag_reasons=("unsure",)
    )

    html = admin_client.get(_page(draft)).content.decode()

    assert 'id="review-prospect-message"' in html
    assert "How much is the Standard plan?" in html
    assert "Hi! How can I help?" in html
    assert re.search(r'<textarea id="review-draft" name="text"[^>]*>The Standard plan is \$49', html)
    assert 'name="_approve"' in html
    assert 'name="_approve_edited"' in html
    assert 'name="_reject"' in html
    assert "<code>knowledge_search</code>" in html
    assert "<code>FLAG_FOR_HUMAN_REVIEW</code>" in html
    assert "Lead score" in html
    assert "72" in html
    assert "Degraded</th><td>No" in html


def test_review_page_lists_the_turns_proposed_crm_changes_with_links(admin_client, make_draft):
    # given: a draft whose turn proposed a CRM update
    draft = make_draft()
    proposal = Proposal.objects.create(
        conversation_id=draft.analysis.conversation_id,
        analysis=draft.analysis,
        action=Proposal.Action.UPDATE_CRM,
        prospect_id="prospect_001",
        content={"changes": {"stage": "qualified"}, "note": "Asked for a quote."},
        reason="pricing inquiry from a known prospect",
    )

    # when
    html = admin_client.get(_page(draft)).content.decode()

    # then: the reviewer sees what the plan would write and where to decide it
    row = re.search(rf'<tr data-proposal="{proposal.pk}">(.*?)</tr>', html, re.S)
    assert row is not None
    assert "<code>UPDATE_CRM</code>" in row.group(1)
    assert "pricing inquiry from a known prospect" in row.group(1)
    assert "Pending" in row.group(1)
    assert f'href="/admin/crm/proposal/{proposal.pk}/change/"' in row.group(1)


def test_staff_approve_a_draft_as_is_from_the_review_page(admin_client, admin_user, make_draft):
    draft = make_draft()

    response = admin_client.post(_page(draft), {"text": draft.response_text, "_approve": "Approve"})

    assert response.status_code == 302
    decision = ReviewDecision.objects.get(output=draft)
    assert decision.state == "approved"
    assert decision.edit_distance == 0
    assert decision.decided_by == admin_user
    assert Message.objects.get(pk=decision.message_id or 0).content == draft.response_text
    page = admin_client.get(_page(draft)).content.decode()
    assert 'id="review-decision"' in page
    assert 'name="_approve"' not in page


def test_staff_approve_with_edits_stores_the_edit_distance(admin_client, make_draft):
    draft = make_draft(draft="Standard costs $49.")

    admin_client.post(
        _page(draft), {"text": "Standard costs $49 per seat.", "_approve_edited": "Approve with edits"}
    )

    decision = ReviewDecision.objects.get(output=draft)
    assert decision.sent_text == "Standard costs $49 per seat."
    assert decision.edit_distance == len(" per seat")
    assert decision.edit_ratio == pytest.approx(9 / 28, abs=1e-3)


def test_plain_approve_with_edited_text_refuses_and_keeps_the_edits(admin_client, make_draft):
    draft = make_draft()

    response = admin_client.post(_page(draft), {"text": "My better reply.", "_approve": "Approve"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "Approve with edits" in html
    assert "My better reply." in html
    assert not ReviewDecision.objects.exists()


def test_staff_reject_with_a_reason(admin_client, make_draft):
    draft = make_draft()

    empty = admin_client.post(_page(draft), {"text": draft.response_text, "reason": " ", "_reject": "Reject"})
    assert empty.status_code == 200
    assert not ReviewDecision.objects.exists()
    admin_client.post(
        _page(draft), {"text": draft.response_text, "reason": "Wrong plan", "_reject": "Reject"}
    )

    decision = ReviewDecision.objects.get(output=draft)
    assert (decision.state, decision.rejection_reason) == ("rejected", "Wrong plan")
    assert not Message.objects.filter(sender="agent").exists()


def test_deciding_twice_in_the_admin_shows_an_error_and_keeps_the_first_decision(admin_client, make_draft):
    draft = make_draft()
    admin_client.post(_page(draft), {"text": draft.response_text, "_approve": "Approve"})

    response = admin_client.post(
        _page(draft), {"reason": "changed my mind", "_reject": "Reject"}, follow=True
    )

    assert "already approved" in response.content.decode()
    assert ReviewDecision.objects.get(output=draft).state == "approved"


def test_staff_report_feedback_from_the_review_page(admin_client, make_draft):
    draft = make_draft()

    admin_client.post(
        _page(draft),
        {
            "feedback_reason": "incomplete",
            "feedback_note": "Misses the annual discount",
            "feedback_corrected": "Standard is $49, or $39 billed annually.",
            "_feedback": "Report",
        },
    )

    stored = Feedback.objects.get(output=draft)
    assert stored.reason == "incomplete"
    assert stored.corrected_text.startswith("Standard is $49")
    assert "Misses the annual discount" in admin_client.get(_page(draft)).content.decode()


def test_queue_summary_shows_the_quality_signal(admin_client, make_draft):
    unedited, edited, rejected = make_draft(), make_draft(draft="Standard costs $49."), make_draft()
    admin_client.post(_page(unedited), {"text": unedited.response_text, "_approve": "Approve"})
    admin_client.post(_page(edited), {"text": "Standard costs $49!", "_approve_edited": "Approve with edits"})
    admin_client.post(_page(rejected), {"reason": "no", "_reject": "Reject"})

    html = admin_client.get(QUEUE).content.decode()

    assert re.search(r'id="review-metrics-decided">3<', html)
    assert re.search(r'id="review-metrics-unedited">0.33<', html)
    assert re.search(r'id="review-metrics-small-edits">0.33<', html)
    assert re.search(r'id="review-metrics-rejected">0.33<', html)


def test_pending_count_counts_the_pending_queue(make_draft):
    pending, superseded = make_draft(), make_draft()
    make_draft(conversation=superseded.analysis.conversation, message="Another question")
    draft_reject(access=SYSTEM, output_id=pending.pk, reason="no")

    assert pending_draft_count() == 1  # only the newer turn of the second conversation


def test_staff_add_a_webhook_endpoint_in_the_admin(admin_client):
    response = admin_client.post(
        "/admin/reviews/webhookendpoint/add/",
        {"name": "Inbox", "url": "https://hooks.example.com/sales", "secret": "whsec_123", "is_active": "on"},
    )

    assert response.status_code == 302
    endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.url, endpoint.secret, endpoint.is_active) == (
        "https://hooks.example.com/sales",
        "whsec_123",
        True,
    )


def test_the_decision_log_is_read_only_in_the_admin(admin_client, make_draft):
    draft = make_draft()
    draft_reject(access=SYSTEM, output_id=draft.pk, reason="no")
    decision = ReviewDecision.objects.get()

    response = admin_client.post(f"/admin/reviews/reviewdecision/{decision.pk}/delete/", {"post": "yes"})

    assert response.status_code == 403
    assert ReviewDecision.objects.filter(pk=decision.pk).exists()
