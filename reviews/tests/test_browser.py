"""The review workflow as a sales rep uses it, in headless Chromium: sign in, open the queue, edit a draft,
approve it, and find the reply stored in the conversation and delivered, signed, to the client's webhook.

Fixtures: salesagent/tests/browser.py (``staff_page``, ``screenshot``, ``csp_violations``) and
reviews/tests/conftest.py (``webhook``: the default outbound channel pointed at a local receiver that
verifies signatures). Screenshots land in var/screenshots/.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from apikeys.access import SYSTEM
from conversations.models import Message
from conversations.services import turn_process
from reviews.models import Delivery, ReviewDecision

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EDITED_REPLY = (
    "Hi Sofia, yes: you can pay in monthly installments on any plan. "
    "I have asked our billing team to send you the details today."
)


def test_a_rep_edits_and_approves_a_draft_from_the_queue(
    staff_page, staff_user, live_server, screenshot, csp_violations, webhook
):
    # given: a real turn answered by the agent (committed, so the live server sees it)
    turn = turn_process(access=SYSTEM, message="Can I pay in installments?", prospect_id="prospect_005")
    draft = turn.output
    page = staff_page

    # when: the rep opens the queue from the staff home and picks the draft
    page.goto(f"{live_server.url}/")
    page.locator("#panel-review-queue").get_by_role("link", name="Open the review queue").click()
    expect(page).to_have_url(f"{live_server.url}/admin/reviews/draftreview/")
    row_link = page.locator(f'a[href^="/admin/reviews/draftreview/{draft.pk}/change/"]').first
    expect(row_link).to_be_visible()
    screenshot("queue")
    row_link.click()

    # then: the review page shows the prospect's message and the draft, ready to edit
    expect(page.locator("#review-prospect-message")).to_have_text("Can I pay in installments?")
    expect(page.locator("#review-draft")).to_have_value(draft.response_text)

    # when: the rep rewrites the draft and approves it with the edits
    page.locator("#review-draft").fill(EDITED_REPLY)
    page.locator("#review-approve-edited").click()

    # then: the page says it was approved and delivered
    expect(page.locator("#review-state")).to_contain_text("approved")
    expect(page.locator("#review-sent-text")).to_have_text(EDITED_REPLY)
    expect(page.locator("#review-delivery")).to_contain_text("Delivered")
    screenshot("approved")

    # and the stored state: the decision (who, the edit), the agent's message in the conversation
    decision = ReviewDecision.objects.get(output=draft)
    assert decision.state == ReviewDecision.State.APPROVED
    assert decision.decided_by_id == staff_user.pk
    assert decision.sent_text == EDITED_REPLY
    assert decision.edit_distance is not None
    assert decision.edit_distance > 0
    replies = list(
        Message.objects.filter(conversation=turn.conversation, sender=Message.Sender.AGENT).values_list(
            "content", flat=True
        )
    )
    assert replies == [EDITED_REPLY]
    # and the client's webhook received it once, signed with its secret
    assert [(r.verified, r.status) for r in webhook.requests] == [(True, 200)]
    payload = webhook.requests[0].json
    assert payload["text"] == EDITED_REPLY
    assert payload["conversation_id"] == turn.conversation.pk
    assert Delivery.objects.get(decision=decision).state == Delivery.State.DELIVERED

    # when: the rep opens the conversation page from the admin
    page.goto(f"{live_server.url}/admin/conversations/conversation/{turn.conversation.pk}/change/")
    # then: the sent reply follows the prospect's message, and the page is readable without a CSP breach
    expect(page.locator("body")).to_contain_text(EDITED_REPLY)
    screenshot("conversation")
    assert csp_violations() == []
