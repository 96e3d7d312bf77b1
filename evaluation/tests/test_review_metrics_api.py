"""``GET /api/evaluation/review-metrics/``: the quality signal from reviewers' decisions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apikeys.access import SYSTEM
from reviews.models import ReviewDecision
from reviews.services import draft_approve, draft_reject
from reviews.tests.factories import draft_create

pytestmark = pytest.mark.django_db

URL = "/api/evaluation/review-metrics/"


def test_before_any_decision_the_shares_are_null(api_client):
    draft_create()

    body = api_client.get(URL).json()

    assert body["drafts"] == 1
    assert body["undecided"] == 1
    assert body["decided"] == 0
    assert body["sent_unedited_share"] is None
    assert body["rejection_rate"] is None


def test_shares_of_unedited_small_edits_large_edits_and_rejections(api_client, settings):
    # Given five decided drafts (one unedited, two small edits, one rewrite, one rejection) and one pending
    settings.REVIEW_SMALL_EDIT_RATIO = 0.2
    draft = "The Standard plan is $49 per seat per month."
    drafts = [draft_create(draft=draft) for _ in range(6)]
    draft_approve(access=SYSTEM, output_id=drafts[0].pk)
    draft_approve(access=SYSTEM, output_id=drafts[1].pk, text="The Standard plan is $49 per user per month.")
    draft_approve(access=SYSTEM, output_id=drafts[2].pk, text="The Standard plan is $49 per seat a month.")
    draft_approve(
        access=SYSTEM, output_id=drafts[3].pk, text="Let me check with our team and come back to you."
    )
    draft_reject(access=SYSTEM, output_id=drafts[4].pk, reason="wrong plan")

    # When the metrics are read
    response = api_client.get(URL)

    # Then they count each kind of decision and give their shares of the decided drafts
    assert response.status_code == 200
    body = response.json()
    assert (body["drafts"], body["undecided"], body["decided"]) == (6, 1, 5)
    assert (body["approved"], body["approved_unedited"], body["approved_small_edits"], body["rejected"]) == (
        4,
        1,
        2,
        1,
    )
    assert body["sent_unedited_share"] == 0.2
    assert body["sent_with_small_edits_share"] == 0.4
    assert body["sent_within_threshold_share"] == 0.6
    assert body["rejection_rate"] == 0.2
    assert body["small_edit_threshold"] == 0.2
    ratios = [
        ratio or 0.0
        for ratio in ReviewDecision.objects.filter(state="approved").values_list("edit_ratio", flat=True)
    ]
    assert body["mean_edit_ratio"] == pytest.approx(sum(ratios) / 4, abs=1e-4)


def test_since_counts_only_later_decisions(api_client):
    old, new = draft_create(), draft_create()
    draft_approve(access=SYSTEM, output_id=old.pk)
    ReviewDecision.objects.filter(output=old).update(decided_at=timezone.now() - timedelta(days=10))
    draft_reject(access=SYSTEM, output_id=new.pk, reason="no")

    since = (timezone.now() - timedelta(days=1)).isoformat()
    body = api_client.get(URL, {"since": since}).json()

    assert (body["decided"], body["rejected"], body["rejection_rate"]) == (1, 1, 1.0)


@pytest.mark.parametrize("since", ["last tuesday", "", " "])
def test_a_bad_since_is_a_field_error(api_client, since):
    response = api_client.get(URL, {"since": since})

    assert response.status_code == 400
    assert "since" in response.json()
