"""Proposals from real turns, and applying them (approve → apply) to the local tables and to HubSpot:
concrete content per action type, idempotent application, an audit of each change, failures kept."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from apikeys.access import SYSTEM, Access, ScopeDenied
from crm.client import CRMUnavailable
from crm.models import FollowUpTask, Interaction, Proposal, ProposalAuditEntry, Prospect
from crm.proposal_content import lead_id_for
from crm.proposals import ProposalAlreadyDecided, proposal_apply, proposal_approve, proposal_reject
from crm.testing.fake_hubspot import FakeHubSpot
from crm.tests.conftest import ID_PROPERTY

pytestmark = pytest.mark.django_db

DEMO_REQUEST = "Could we book a demo next week?"
NOT_INTERESTED = "Not interested, please stop emailing me."
NEW_LEAD = (
    "Hi, my name is Ana Ruiz and I work at Acme Corp. How much is Premium? Reach me at ana@acme.example"
)
REVIEWER = Access(scopes=frozenset({"reviews:read", "reviews:write"}), label="key:reviewer")


def approve_and_apply(proposal: Proposal, capture) -> Proposal:
    """Approve as a reviewer; the commit queues the (eager) Celery task that applies it."""
    with capture(execute=True):
        proposal_approve(access=REVIEWER, proposal=proposal)
    proposal.refresh_from_db()
    return proposal


# --- what a turn proposes -------------------------------------------------------------------------


def test_a_demo_request_proposes_a_stage_update_with_a_note_and_a_follow_up(turn_proposals):
    # When a known prospect (stage contacted) asks for a demo
    proposals = turn_proposals(DEMO_REQUEST, "prospect_002")

    # Then the stage moves to qualified, with a note, and a follow-up is due in two days
    assert set(proposals) == {"UPDATE_CRM", "SCHEDULE_FOLLOW_UP"}
    update = proposals["UPDATE_CRM"]
    assert (update.state, update.prospect_id) == ("pending", "prospect_002")
    assert update.content["fields"] == {"stage": "qualified"}
    assert DEMO_REQUEST in update.content["note"]
    follow_up = proposals["SCHEDULE_FOLLOW_UP"]
    assert follow_up.content["title"] == "Follow up with Lucas Almeida about meeting request"
    due = datetime.fromisoformat(follow_up.content["due_at"])
    assert due - follow_up.analysis.created_at == timedelta(days=2)


def test_a_customer_is_never_moved_back_a_stage(turn_proposals):
    Prospect.objects.filter(external_id="prospect_002").update(stage="customer")

    proposals = turn_proposals(DEMO_REQUEST, "prospect_002")

    assert proposals["UPDATE_CRM"].content["fields"] == {}
    assert proposals["UPDATE_CRM"].content["note"]


def test_an_unknown_sender_becomes_a_lead_with_what_they_stated(turn_proposals):
    proposals = turn_proposals(NEW_LEAD, "prospect_999")

    lead = proposals["CREATE_LEAD"]
    assert lead.prospect_id == "prospect_999"
    assert lead.content["fields"] == {
        "name": "Ana Ruiz",
        "email": "ana@acme.example",
        "company": "Acme Corp",
        "stage": "lead",
    }
    # The follow-up targets the same (new) contact
    assert proposals["SCHEDULE_FOLLOW_UP"].prospect_id == "prospect_999"


def test_a_lead_without_a_prospect_id_gets_one_from_its_conversation(turn_proposals):
    proposals = turn_proposals("Interested in pricing, write to me at bo@example.org")

    lead = proposals["CREATE_LEAD"]
    assert lead.prospect_id == lead_id_for(lead.conversation_id)
    assert lead.content["fields"] == {"email": "bo@example.org", "stage": "lead"}


def test_not_interested_proposes_lost_and_do_not_contact(turn_proposals):
    proposals = turn_proposals(NOT_INTERESTED, "prospect_002")

    assert proposals["MARK_NOT_INTERESTED"].content["fields"] == {"stage": "lost", "do_not_contact": True}
    assert proposals["MARK_NOT_INTERESTED"].reason == "not interested"


def test_turns_without_crm_changes_propose_nothing(turn_proposals):
    assert turn_proposals("Can I pay in installments?", "prospect_001") == {}


# --- applying to the local CRM --------------------------------------------------------------------


def test_an_approved_stage_update_is_applied_locally_and_audited(
    turn_proposals, django_capture_on_commit_callbacks
):
    proposal = turn_proposals(DEMO_REQUEST, "prospect_002")["UPDATE_CRM"]

    proposal = approve_and_apply(proposal, django_capture_on_commit_callbacks)

    prospect = Prospect.objects.get(external_id="prospect_002")
    assert prospect.stage == "qualified"
    note = Interaction.objects.get(prospect=prospect, kind="note")
    assert DEMO_REQUEST in note.summary
    assert (proposal.state, proposal.backend, proposal.decided_by_label) == (
        "applied",
        "local",
        "key:reviewer",
    )
    assert proposal.remote_ids == {"contact": str(prospect.pk), "note": str(note.pk)}
    approved, applied = proposal.audit_entries.order_by("id")
    assert (approved.event, approved.actor) == ("approved", "key:reviewer")
    assert (applied.event, applied.backend) == ("applied", "local")
    assert applied.before == {"stage": "contacted"}
    assert applied.after == {"stage": "qualified", "note": note.summary}


def test_a_follow_up_becomes_a_local_task(turn_proposals, django_capture_on_commit_callbacks):
    proposal = turn_proposals(DEMO_REQUEST, "prospect_002")["SCHEDULE_FOLLOW_UP"]

    proposal = approve_and_apply(proposal, django_capture_on_commit_callbacks)

    task = FollowUpTask.objects.get(prospect__external_id="prospect_002")
    assert task.title == proposal.content["title"]
    assert task.due_at == datetime.fromisoformat(proposal.content["due_at"])
    assert proposal.state == "applied"
    assert proposal.remote_ids["task"] == str(task.pk)


def test_a_new_lead_is_created_locally(turn_proposals, django_capture_on_commit_callbacks):
    proposal = turn_proposals(NEW_LEAD, "prospect_999")["CREATE_LEAD"]

    proposal = approve_and_apply(proposal, django_capture_on_commit_callbacks)

    prospect = Prospect.objects.get(external_id="prospect_999")
    assert (prospect.name, prospect.email, prospect.company, prospect.stage) == (
        "Ana Ruiz",
        "ana@acme.example",
        "Acme Corp",
        "lead",
    )
    assert proposal.audit_entries.get(event="applied").after["email"] == "ana@acme.example"


def test_not_interested_marks_the_prospect_lost_and_do_not_contact(
    turn_proposals, django_capture_on_commit_callbacks
):
    proposal = turn_proposals(NOT_INTERESTED, "prospect_002")["MARK_NOT_INTERESTED"]

    proposal = approve_and_apply(proposal, django_capture_on_commit_callbacks)

    prospect = Prospect.objects.get(external_id="prospect_002")
    assert (prospect.stage, prospect.do_not_contact) == ("lost", True)
    entry = proposal.audit_entries.get(event="applied")
    assert entry.before == {"stage": "contacted", "do_not_contact": False}
    assert entry.after["do_not_contact"] is True


def test_applying_twice_changes_nothing(turn_proposals, django_capture_on_commit_callbacks):
    proposal = approve_and_apply(
        turn_proposals(DEMO_REQUEST, "prospect_002")["UPDATE_CRM"], django_capture_on_commit_callbacks
    )
    Prospect.objects.filter(external_id="prospect_002").update(stage="proposal")  # a later manual edit

    again = proposal_apply(access=REVIEWER, proposal_id=proposal.pk)

    assert again.state == "applied"
    assert Prospect.objects.get(external_id="prospect_002").stage == "proposal"
    assert Interaction.objects.filter(kind="note").count() == 1
    assert proposal.audit_entries.filter(event="applied").count() == 1


def test_the_cached_crm_record_is_dropped_when_an_update_commits(
    turn_proposals, django_capture_on_commit_callbacks, api_client
):
    proposal = turn_proposals(DEMO_REQUEST, "prospect_002")["UPDATE_CRM"]  # the turn cached the record

    approve_and_apply(proposal, django_capture_on_commit_callbacks)

    response = api_client.post(
        "/api/process_message",
        {"current_prospect_message": "How much is Premium?", "prospect_id": "prospect_002"},
        format="json",
    )
    assert response.json()["crm_data"]["stage"] == "qualified"


def test_a_follow_up_for_a_lead_not_yet_created_fails_clearly_then_applies_after_it(
    turn_proposals, django_capture_on_commit_callbacks
):
    proposals = turn_proposals(NEW_LEAD, "prospect_999")
    follow_up = proposals["SCHEDULE_FOLLOW_UP"]

    # When the follow-up is applied before the lead exists
    follow_up = approve_and_apply(follow_up, django_capture_on_commit_callbacks)

    # Then it failed with a clear error and wrote nothing
    assert follow_up.state == "failed"
    assert "apply the turn's CREATE_LEAD proposal first" in follow_up.error
    assert follow_up.audit_entries.get(event="failed").detail == follow_up.error
    assert not FollowUpTask.objects.exists()

    # And once the lead is applied, applying again succeeds
    approve_and_apply(proposals["CREATE_LEAD"], django_capture_on_commit_callbacks)
    assert proposal_apply(access=REVIEWER, proposal_id=follow_up.pk).state == "applied"
    assert FollowUpTask.objects.get().prospect.external_id == "prospect_999"


# --- decisions ------------------------------------------------------------------------------------


def test_a_rejected_proposal_writes_nothing_and_cannot_be_decided_again(turn_proposals):
    proposal = turn_proposals(NOT_INTERESTED, "prospect_002")["MARK_NOT_INTERESTED"]

    rejected = proposal_reject(access=REVIEWER, proposal=proposal, reason="they only meant this quarter")

    assert (rejected.state, rejected.reject_reason) == ("rejected", "they only meant this quarter")
    assert rejected.audit_entries.get().detail == "they only meant this quarter"
    assert Prospect.objects.get(external_id="prospect_002").stage == "contacted"
    with pytest.raises(ProposalAlreadyDecided):
        proposal_approve(access=REVIEWER, proposal=proposal)
    with pytest.raises(ValueError, match="needs a reason"):
        proposal_reject(
            access=REVIEWER, proposal=turn_proposals(DEMO_REQUEST, "prospect_002")["UPDATE_CRM"], reason=" "
        )


def test_deciding_and_applying_need_reviews_write(turn_proposals):
    proposal = turn_proposals(DEMO_REQUEST, "prospect_002")["UPDATE_CRM"]
    reader = Access(scopes=frozenset({"reviews:read", "crm:write"}), label="key:reader")

    with pytest.raises(ScopeDenied):
        proposal_approve(access=reader, proposal=proposal)
    with pytest.raises(ScopeDenied):
        proposal_reject(access=reader, proposal=proposal, reason="no")
    with pytest.raises(ScopeDenied):
        proposal_apply(access=reader, proposal_id=proposal.pk)
    proposal.refresh_from_db()
    assert proposal.state == "pending"
    assert not proposal.audit_entries.exists()


def test_listed_action_types_are_applied_without_a_person(
    settings, turn_proposals, django_capture_on_commit_callbacks
):
    settings.CRM_AUTO_APPLY_ACTIONS = ["SCHEDULE_FOLLOW_UP"]

    with django_capture_on_commit_callbacks(execute=True):
        proposals = turn_proposals(DEMO_REQUEST, "prospect_002")

    follow_up, update = (
        Proposal.objects.get(pk=proposals[a].pk) for a in ("SCHEDULE_FOLLOW_UP", "UPDATE_CRM")
    )
    assert (follow_up.state, follow_up.decided_by_label) == ("applied", "system")
    assert FollowUpTask.objects.filter(prospect__external_id="prospect_002").count() == 1
    assert update.state == "pending"
    assert Prospect.objects.get(external_id="prospect_002").stage == "contacted"


# --- applying to HubSpot --------------------------------------------------------------------------


@pytest.fixture
def hubspot_lucas(hubspot_settings, fake_hubspot) -> str:
    """prospect_002 as a HubSpot contact (the turn reads it from HubSpot)."""
    return fake_hubspot.add_contact(
        {
            ID_PROPERTY: "prospect_002",
            "firstname": "Lucas",
            "lastname": "Almeida",
            "email": "lucas.almeida@ninjalogistics.example",
            "hs_lead_status": "ATTEMPTED_TO_CONTACT",
        }
    )


def test_hubspot_stage_update_and_note(
    hubspot_lucas, fake_hubspot: FakeHubSpot, turn_proposals, django_capture_on_commit_callbacks
):
    proposal = turn_proposals(DEMO_REQUEST, "prospect_002")["UPDATE_CRM"]
    assert proposal.content["fields"] == {"stage": "qualified"}  # the turn read the stage from HubSpot

    proposal = approve_and_apply(proposal, django_capture_on_commit_callbacks)

    contact = fake_hubspot.contacts[hubspot_lucas]["properties"]
    assert contact["hs_lead_status"] == "CONNECTED"
    (note,) = fake_hubspot.notes.values()
    assert note["associations"] == {"contacts": [hubspot_lucas]}
    assert DEMO_REQUEST in note["properties"]["hs_note_body"]
    assert (proposal.state, proposal.backend) == ("applied", "hubspot")
    assert proposal.remote_ids == {"contact": hubspot_lucas, "note": note["id"]}
    applied = proposal.audit_entries.get(event="applied")
    assert (applied.before, applied.after["stage"], applied.backend) == (
        {"stage": "contacted"},
        "qualified",
        "hubspot",
    )


def test_hubspot_follow_up_task(
    hubspot_lucas, fake_hubspot, turn_proposals, django_capture_on_commit_callbacks
):
    proposal = approve_and_apply(
        turn_proposals(DEMO_REQUEST, "prospect_002")["SCHEDULE_FOLLOW_UP"], django_capture_on_commit_callbacks
    )

    (task,) = fake_hubspot.tasks.values()
    due = datetime.fromisoformat(proposal.content["due_at"])
    assert datetime.fromisoformat(task["properties"]["hs_timestamp"].replace("Z", "+00:00")) == due.replace(
        microsecond=due.microsecond // 1000 * 1000
    )
    assert task["properties"]["hs_task_subject"] == "Follow up with Lucas Almeida about meeting request"
    assert task["associations"] == {"contacts": [hubspot_lucas]}
    assert proposal.remote_ids["task"] == task["id"]


def test_hubspot_new_lead(hubspot_settings, fake_hubspot, turn_proposals, django_capture_on_commit_callbacks):
    proposal = approve_and_apply(
        turn_proposals(NEW_LEAD, "prospect_999")["CREATE_LEAD"], django_capture_on_commit_callbacks
    )

    (contact,) = fake_hubspot.contacts.values()
    props = contact["properties"]
    assert (props[ID_PROPERTY], props["firstname"], props["lastname"], props["email"], props["company"]) == (
        "prospect_999",
        "Ana",
        "Ruiz",
        "ana@acme.example",
        "Acme Corp",
    )
    assert props["hs_lead_status"] == "NEW"
    assert proposal.remote_ids["contact"] == contact["id"]
    assert not Prospect.objects.filter(external_id="prospect_999").exists()  # HubSpot is the CRM


def test_hubspot_lead_that_exists_already_is_not_duplicated_or_overwritten(
    hubspot_settings, fake_hubspot, turn_proposals, django_capture_on_commit_callbacks
):
    existing = fake_hubspot.add_contact({"email": "ana@acme.example", "firstname": "Ana María"})

    proposal = approve_and_apply(
        turn_proposals(NEW_LEAD, "prospect_999")["CREATE_LEAD"], django_capture_on_commit_callbacks
    )

    assert list(fake_hubspot.contacts) == [existing]
    assert fake_hubspot.contacts[existing]["properties"]["firstname"] == "Ana María"
    assert proposal.state == "applied"
    assert proposal.audit_entries.get(event="applied").after["existing_contact"] == existing


def test_hubspot_not_interested(
    hubspot_lucas, fake_hubspot, turn_proposals, django_capture_on_commit_callbacks
):
    approve_and_apply(
        turn_proposals(NOT_INTERESTED, "prospect_002")["MARK_NOT_INTERESTED"],
        django_capture_on_commit_callbacks,
    )

    props = fake_hubspot.contacts[hubspot_lucas]["properties"]
    assert (props["hs_lead_status"], props["salesagent_do_not_contact"]) == ("UNQUALIFIED", "true")


def test_hubspot_applying_twice_sends_nothing_more(
    hubspot_lucas, fake_hubspot, turn_proposals, django_capture_on_commit_callbacks
):
    proposal = approve_and_apply(
        turn_proposals(DEMO_REQUEST, "prospect_002")["SCHEDULE_FOLLOW_UP"], django_capture_on_commit_callbacks
    )
    sent = len(fake_hubspot.requests)

    proposal_apply(access=REVIEWER, proposal_id=proposal.pk)

    assert len(fake_hubspot.requests) == sent
    assert len(fake_hubspot.tasks) == 1


def test_hubspot_retry_after_a_partial_failure_creates_no_second_contact(
    hubspot_settings, fake_hubspot, turn_proposals, django_capture_on_commit_callbacks
):
    # Given HubSpot failing every note creation for a while
    proposal = turn_proposals(NEW_LEAD, "prospect_999")["CREATE_LEAD"]
    fake_hubspot.fail(3, path="/crm/v3/objects/notes")
    proposal_approve(access=REVIEWER, proposal=proposal)

    # When the lead is applied: the contact is created, the note fails (after the bounded retries)
    with pytest.raises(CRMUnavailable):
        proposal_apply(access=SYSTEM, proposal_id=proposal.pk)
    proposal.refresh_from_db()
    assert proposal.state == "failed"
    assert "CRMUnavailable" in proposal.error
    assert "answered 502" in proposal.error
    assert proposal.remote_ids.keys() == {"contact", "contact_created"}
    assert proposal.audit_entries.get(event="failed").remote_ids == proposal.remote_ids

    # Then the retry (HubSpot back) adds the note to the same contact, creating no second one
    retried = proposal_apply(access=SYSTEM, proposal_id=proposal.pk)
    assert retried.state == "applied"
    assert len(fake_hubspot.contacts) == 1
    assert len(fake_hubspot.calls("POST", "/crm/v3/objects/contacts")) == 1
    (note,) = fake_hubspot.notes.values()
    assert note["associations"] == {"contacts": [retried.remote_ids["contact"]]}
    assert retried.attempts == 2
    assert retried.audit_entries.get(event="applied").after["email"] == "ana@acme.example"


def test_hubspot_429_then_success_applies(hubspot_lucas, fake_hubspot, turn_proposals):
    proposal = turn_proposals(DEMO_REQUEST, "prospect_002")["SCHEDULE_FOLLOW_UP"]
    proposal_approve(access=REVIEWER, proposal=proposal)
    fake_hubspot.rate_limit(2, retry_after=0, path="/crm/v3/objects/tasks")

    applied = proposal_apply(access=SYSTEM, proposal_id=proposal.pk)

    assert applied.state == "applied"
    assert len(fake_hubspot.calls("POST", "/crm/v3/objects/tasks")) == 3
    assert len(fake_hubspot.tasks) == 1


def test_hubspot_down_marks_the_proposal_failed_with_the_error(hubspot_lucas, fake_hubspot, turn_proposals):
    proposal = turn_proposals(DEMO_REQUEST, "prospect_002")["UPDATE_CRM"]
    proposal_approve(access=REVIEWER, proposal=proposal)
    fake_hubspot.fail(100, status=500)

    with pytest.raises(CRMUnavailable):
        proposal_apply(access=SYSTEM, proposal_id=proposal.pk)

    proposal.refresh_from_db()
    assert proposal.state == "failed"
    assert proposal.error.startswith(
        "CRMUnavailable: HubSpot POST /crm/v3/objects/contacts/search answered 500"
    )
    assert fake_hubspot.contacts[hubspot_lucas]["properties"]["hs_lead_status"] == "ATTEMPTED_TO_CONTACT"
    entry = ProposalAuditEntry.objects.get(proposal=proposal, event="failed")
    assert (entry.backend, entry.detail) == ("hubspot", proposal.error)


def test_hubspot_rejecting_the_write_fails_the_proposal_without_retrying(
    hubspot_settings, turn_proposals, django_capture_on_commit_callbacks
):
    # Given a HubSpot account where the do-not-contact property was never created
    server = FakeHubSpot(custom_properties=(ID_PROPERTY,)).start()
    try:
        hubspot_settings.HUBSPOT_BASE_URL = server.base_url
        hubspot_settings.HUBSPOT_ACCESS_TOKEN = server.token
        server.add_contact({ID_PROPERTY: "prospect_002", "firstname": "Lucas"})
        proposal = turn_proposals(NOT_INTERESTED, "prospect_002")["MARK_NOT_INTERESTED"]

        # When it is approved and applied (the task does not retry a rejection)
        approve_and_apply(proposal, django_capture_on_commit_callbacks)

        # Then it failed with HubSpot's message, after one PATCH
        proposal.refresh_from_db()
        assert proposal.state == "failed"
        assert "VALIDATION_ERROR" in proposal.error
        assert "salesagent_do_not_contact" in proposal.error
        assert len([r for r in server.requests if r.method == "PATCH"]) == 1
    finally:
        server.stop()
