"""The proposals admin: the queue with its filters, approve and reject actions through the services,
and the audit trail as tables."""

from __future__ import annotations

import pytest

from crm.admin import fields_table
from crm.models import Proposal, Prospect

pytestmark = pytest.mark.django_db


def test_the_queue_lists_proposals_and_filters_by_state(admin_client, turn_proposals):
    proposals = turn_proposals("Could we book a demo next week?", "prospect_002")
    Proposal.objects.filter(pk=proposals["SCHEDULE_FOLLOW_UP"].pk).update(state="rejected")

    page = admin_client.get("/admin/crm/proposal/", {"state__exact": "pending"}).content.decode()

    assert f"/admin/crm/proposal/{proposals['UPDATE_CRM'].pk}/change/" in page
    assert f"/admin/crm/proposal/{proposals['SCHEDULE_FOLLOW_UP'].pk}/change/" not in page
    assert "prospect_002" in page


def test_approving_in_the_admin_applies_and_shows_the_audit_as_a_table(
    admin_client, turn_proposals, django_capture_on_commit_callbacks
):
    proposal = turn_proposals("Could we book a demo next week?", "prospect_002")["UPDATE_CRM"]

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/crm/proposal/", {"action": "approve_selected", "_selected_action": [proposal.pk]}
        )

    assert response.status_code == 302
    proposal.refresh_from_db()
    assert (proposal.state, proposal.decided_by_label) == ("applied", "user:admin")
    assert Prospect.objects.get(external_id="prospect_002").stage == "qualified"
    page = admin_client.get(f"/admin/crm/proposal/{proposal.pk}/change/").content.decode()
    assert "<table><tr><th>stage</th><td style='white-space: pre-wrap'>contacted</td></tr></table>" in page
    assert "<th>stage</th><td style='white-space: pre-wrap'>qualified</td>" in page


def test_rejecting_in_the_admin_asks_for_a_reason(admin_client, turn_proposals):
    proposal = turn_proposals("Not interested, please stop emailing me.", "prospect_002")[
        "MARK_NOT_INTERESTED"
    ]
    selected = {"action": "reject_selected", "_selected_action": [proposal.pk]}

    # When staff pick the action, a form asks why; nothing is decided yet
    form_page = admin_client.post("/admin/crm/proposal/", selected)
    assert 'name="reason"' in form_page.content.decode()
    proposal.refresh_from_db()
    assert proposal.state == "pending"

    # When they give a reason, the proposal is rejected with it
    response = admin_client.post(
        "/admin/crm/proposal/", {**selected, "confirm": "yes", "reason": "Wrong person"}
    )

    assert response.status_code == 302
    proposal.refresh_from_db()
    assert (proposal.state, proposal.reject_reason) == ("rejected", "Wrong person")
    assert Prospect.objects.get(external_id="prospect_002").do_not_contact is False


def test_audit_tables_show_nested_values_as_the_turn_pages_do():
    # Given before/after values of every JSON kind, as backends report them
    values = {"technologies": ["Slack", "HubSpot"], "do_not_contact": True, "owner": None, "ids": {"deal": 7}}

    # When the admin renders them as a table
    table = fields_table(values)

    # Then lists, booleans, empty values and objects read as text, not as Python literals
    cells = "<td style='white-space: pre-wrap'>{}</td>"
    assert f"<th>technologies</th>{cells.format('Slack, HubSpot')}" in table
    assert f"<th>do_not_contact</th>{cells.format('Yes')}" in table
    assert f"<th>owner</th>{cells.format('—')}" in table
    assert f"<th>ids</th>{cells.format('deal: 7')}" in table
    assert "[" not in table
