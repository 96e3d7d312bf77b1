"""An approved proposal applied by a real Celery worker process against the fake HubSpot, with the task
retrying a transient HubSpot failure (Redis on 127.0.0.1)."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

from apikeys.access import Access
from conversations.models import AnalysisResult, Conversation, Message
from crm.models import Interaction, Proposal, Prospect
from crm.proposals import proposal_approve
from crm.testing.fake_hubspot import FakeHubSpot
from crm.tests.conftest import ID_PROPERTY
from testing.processes import start_celery_worker, stop_process, wait_for_worker

# The worker is another process: it sees only committed rows, so this test really commits.
pytestmark = pytest.mark.django_db(transaction=True)

WORKER_TIMEOUT = 60


@pytest.fixture
def hubspot_worker(celery_broker, fake_hubspot, tmp_path) -> Iterator[subprocess.Popen]:
    """A worker whose CRM is the fake HubSpot, with no in-client retries (the task retries)."""
    log = tmp_path / "worker.log"
    env = {
        "CRM_BACKEND": "hubspot",
        "HUBSPOT_ACCESS_TOKEN": fake_hubspot.token,
        "HUBSPOT_BASE_URL": fake_hubspot.base_url,
        "HUBSPOT_ID_PROPERTY": ID_PROPERTY,
        "HUBSPOT_MAX_RETRIES": "0",
    }
    process = start_celery_worker(celery_broker, log, extra_env=env)
    try:
        wait_for_worker(process, log)
        yield process
    finally:
        stop_process(process)


def _wait_until_applied(proposal: Proposal) -> Proposal:
    deadline = time.monotonic() + WORKER_TIMEOUT
    while time.monotonic() < deadline:
        proposal.refresh_from_db()
        if proposal.state == Proposal.State.APPLIED:
            break
        time.sleep(0.25)
    assert proposal.state == Proposal.State.APPLIED, (proposal.state, proposal.error)
    return proposal


def _turn(prospect_id: str) -> AnalysisResult:
    conversation = Conversation.objects.create(external_prospect_id=prospect_id)
    message = Message.objects.create(
        conversation=conversation, sender="prospect", content="Call me next week", timestamp=timezone.now()
    )
    return AnalysisResult.objects.create(
        conversation=conversation,
        message=message,
        intent="meeting_request",
        sentiment="positive",
        priority="high",
        confidence=0.9,
        brain="local",
    )


def _follow_up_proposal() -> Proposal:
    analysis = _turn("hs_w1")
    due = (timezone.now() + timedelta(days=2)).isoformat()
    return Proposal.objects.create(
        conversation=analysis.conversation,
        analysis=analysis,
        action=Proposal.Action.SCHEDULE_FOLLOW_UP,
        prospect_id="hs_w1",
        content={"title": "Call Wanda", "body": "She asked for a call", "due_at": due},
    )


def test_the_worker_applies_an_approved_proposal_retrying_a_hubspot_outage(
    hubspot_worker, fake_hubspot: FakeHubSpot
):
    # Given a HubSpot contact, a pending follow-up for it, and HubSpot failing the first task creation
    contact_id = fake_hubspot.add_contact({ID_PROPERTY: "hs_w1", "firstname": "Wanda"})
    proposal = _follow_up_proposal()
    fake_hubspot.fail(1, status=503, path="/crm/v3/objects/tasks")

    # When a reviewer approves it (the commit queues the task on the broker)
    proposal_approve(access=Access(scopes=frozenset({"reviews:write"}), label="key:rev"), proposal=proposal)

    # Then the worker applies it: the first attempt fails, the task's retry creates exactly one task
    proposal = _wait_until_applied(proposal)
    assert proposal.attempts == 2
    assert [entry.event for entry in proposal.audit_entries.order_by("id")] == [
        "approved",
        "failed",
        "applied",
    ]
    (task,) = fake_hubspot.tasks.values()
    assert task["associations"] == {"contacts": [contact_id]}
    assert task["properties"]["hs_task_subject"] == "Call Wanda"
    assert len(fake_hubspot.calls("POST", "/crm/v3/objects/tasks")) == 2


def test_the_worker_applies_an_approved_stage_update_to_the_local_crm(celery_worker):
    # Given a prospect and a pending stage update for it (committed: the worker is another process)
    prospect = Prospect.objects.create(external_id="p_worker", name="Wanda Worker", stage="contacted")
    analysis = _turn("p_worker")
    proposal = Proposal.objects.create(
        conversation=analysis.conversation,
        analysis=analysis,
        action=Proposal.Action.UPDATE_CRM,
        prospect_id="p_worker",
        content={"fields": {"stage": "qualified"}, "note": "Asked for a demo"},
    )

    # When it is approved, then the worker (not this process) applies it
    proposal_approve(access=Access(scopes=frozenset({"reviews:write"}), label="key:rev"), proposal=proposal)
    proposal = _wait_until_applied(proposal)

    prospect.refresh_from_db()
    assert prospect.stage == "qualified"
    assert Interaction.objects.get(prospect=prospect, kind="note").summary == "Asked for a demo"
    assert proposal.audit_entries.get(event="applied").before == {"stage": "contacted"}
