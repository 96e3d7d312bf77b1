"""The proposals API: list with filters (query count pinned), detail with its audit, approve, reject, 409."""

from __future__ import annotations

import pytest

from apikeys.access import Scope
from apikeys.services import api_key_create
from conftest import key_client
from crm.models import Proposal, Prospect

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer_client(django_user_model):
    user = django_user_model.objects.create_user(username="reviewer", password=None)
    return key_client(
        api_key_create(user=user, name="reviewer", scopes=(Scope.REVIEWS_READ, Scope.REVIEWS_WRITE))[1]
    )


@pytest.fixture
def demo_request(turn_proposals) -> dict[str, Proposal]:
    return turn_proposals("Could we book a demo next week?", "prospect_002")


def test_the_list_filters_by_state_action_and_conversation_in_fixed_queries(
    reviewer_client, turn_proposals, django_assert_max_num_queries
):
    # Given proposals from three turns, one of them rejected
    first = turn_proposals("Could we book a demo next week?", "prospect_002")
    turn_proposals("We'd like to start a free trial for our team", "prospect_003")
    turn_proposals("Not interested, please stop emailing me.", "prospect_004")
    Proposal.objects.filter(pk=first["UPDATE_CRM"].pk).update(state="rejected")

    # When the queue is listed, then the query count does not grow with the rows
    with django_assert_max_num_queries(4):
        everything = reviewer_client.get("/api/proposals/").json()
    assert everything["count"] == Proposal.objects.count() == 6

    pending_updates = reviewer_client.get(
        "/api/proposals/", {"state": "pending", "action": "UPDATE_CRM"}
    ).json()
    assert {row["prospect_id"] for row in pending_updates["results"]} == {"prospect_003", "prospect_004"}
    by_conversation = reviewer_client.get(
        "/api/proposals/", {"conversation": first["UPDATE_CRM"].conversation_id}
    ).json()
    assert {row["action"] for row in by_conversation["results"]} == {"UPDATE_CRM", "SCHEDULE_FOLLOW_UP"}
    row = by_conversation["results"][0]
    assert {"content", "state", "reason", "analysis_id", "remote_ids"} <= set(row)


def test_a_bad_filter_is_a_400(reviewer_client):
    response = reviewer_client.get("/api/proposals/", {"state": "maybe"})
    assert response.status_code == 400
    assert "state" in response.json()


@pytest.mark.parametrize(
    ("value", "status"), [("0", 200), (str(2**70), 200), ("1.5", 400), ("abc", 400), ("", 400)]
)
def test_a_conversation_id_no_row_can_have_matches_nothing_and_a_non_id_is_a_400(
    reviewer_client, value, status
):
    response = reviewer_client.get("/api/proposals/", {"conversation": value})

    assert response.status_code == status
    if status == 200:
        assert response.json()["count"] == 0
    else:
        assert list(response.json()) == ["conversation"]


def test_approving_applies_and_the_detail_shows_the_audit(
    reviewer_client, demo_request, django_capture_on_commit_callbacks
):
    proposal = demo_request["UPDATE_CRM"]

    with django_capture_on_commit_callbacks(execute=True):
        response = reviewer_client.post(f"/api/proposals/{proposal.pk}/approve")

    assert response.status_code == 200, response.content
    assert response.json()["state"] == "approved"
    assert Prospect.objects.get(external_id="prospect_002").stage == "qualified"
    detail = reviewer_client.get(f"/api/proposals/{proposal.pk}/").json()
    assert detail["state"] == "applied"
    assert [entry["event"] for entry in detail["audit_entries"]] == ["approved", "applied"]
    assert detail["audit_entries"][1]["before"] == {"stage": "contacted"}
    assert detail["decided_by_label"].startswith("key:")


def test_deciding_twice_is_a_409_and_changes_nothing(reviewer_client, demo_request):
    proposal = demo_request["UPDATE_CRM"]
    assert (
        reviewer_client.post(
            f"/api/proposals/{proposal.pk}/reject", {"reason": "too early"}, format="json"
        ).status_code
        == 200
    )

    again = reviewer_client.post(f"/api/proposals/{proposal.pk}/approve")

    assert again.status_code == 409
    assert again.json()["code"] == "proposal_already_decided"
    assert again.json()["state"] == "rejected"
    proposal.refresh_from_db()
    assert (proposal.state, proposal.reject_reason) == ("rejected", "too early")
    assert Prospect.objects.get(external_id="prospect_002").stage == "contacted"


def test_rejecting_needs_a_reason(reviewer_client, demo_request):
    proposal = demo_request["SCHEDULE_FOLLOW_UP"]

    response = reviewer_client.post(f"/api/proposals/{proposal.pk}/reject", {}, format="json")

    assert response.status_code == 400
    assert "reason" in response.json()
    proposal.refresh_from_db()
    assert proposal.state == "pending"


def test_a_read_only_key_cannot_decide(django_user_model, demo_request):
    user = django_user_model.objects.create_user(username="reader", password=None)
    reader = key_client(api_key_create(user=user, name="reader", scopes=(Scope.REVIEWS_READ,))[1])
    proposal = demo_request["UPDATE_CRM"]

    response = reader.post(f"/api/proposals/{proposal.pk}/approve")

    assert response.status_code == 403
    assert response.json()["required_scope"] == "reviews:write"
    proposal.refresh_from_db()
    assert proposal.state == "pending"


def test_an_unknown_proposal_is_a_404(reviewer_client):
    assert reviewer_client.post("/api/proposals/999999/approve").status_code == 404


def test_the_schema_declares_the_proposal_endpoints_and_their_conflict(reviewer_client):
    schema = reviewer_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    listing = schema["paths"]["/api/proposals/"]["get"]
    assert {"state", "action", "conversation", "page"} <= {p["name"] for p in listing["parameters"]}
    approve = schema["paths"]["/api/proposals/{id}/approve/"]["post"]["responses"]
    conflict = approve["409"]["content"]["application/json"]["schema"]["$ref"]
    assert conflict.endswith("/ProposalConflict")
    assert {"200", "403", "404", "409"} <= set(approve)
    reject = schema["paths"]["/api/proposals/{id}/reject/"]["post"]
    assert reject["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ProposalRejectRequest"
    )
