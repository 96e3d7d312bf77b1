"""The HubSpot backend against a fake HubSpot CRM v3 server: request shapes, mapping, 429s, 5xx, errors."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from conversations.models import ActionableOutput
from crm.client import (
    ContactNotFound,
    CRMRateLimited,
    CRMRequestRejected,
    CRMUnavailable,
    HubSpotCRMClient,
    get_crm_client,
)
from crm.tests.conftest import ID_PROPERTY

pytestmark = pytest.mark.django_db


@pytest.fixture
def hubspot(hubspot_settings) -> HubSpotCRMClient:
    return HubSpotCRMClient.from_settings()


@pytest.fixture
def lucas(fake_hubspot) -> str:
    return fake_hubspot.add_contact(
        {
            ID_PROPERTY: "hs_002",
            "firstname": "Lucas",
            "lastname": "Almeida",
            "email": "lucas@ninja.example",
            "company": "NinjaLogistics",
            "industry": "logistics",
            "numberofemployees": "250",
            "hs_lead_status": "ATTEMPTED_TO_CONTACT",
            "hubspotscore": "72",
        }
    )


def test_a_prospect_is_found_by_its_id_property_and_mapped_to_a_record(hubspot, fake_hubspot, lucas):
    # When the turn's CRM client looks the prospect up
    record = get_crm_client().get_prospect("hs_002")

    # Then it searched contacts by our id property with HubSpot's filterGroups
    search = fake_hubspot.calls("POST", "/crm/v3/objects/contacts/search")[0]
    assert search.body["filterGroups"] == [
        {"filters": [{"propertyName": ID_PROPERTY, "operator": "EQ", "value": "hs_002"}]}
    ]
    assert search.headers["Authorization"] == f"Bearer {fake_hubspot.token}"
    # And HubSpot's properties became our record
    assert record is not None
    assert (record.prospect_id, record.name, record.company, record.industry) == (
        "hs_002",
        "Lucas Almeida",
        "NinjaLogistics",
        "logistics",
    )
    assert (record.employees, record.lead_score, record.stage) == (250, 72, "contacted")


def test_an_unknown_prospect_is_none(hubspot, fake_hubspot):
    assert hubspot.get_prospect("hs_nobody") is None
    assert hubspot.find_contact(prospect_id="hs_nobody", email="nobody@x.example") is None


def test_a_contact_is_found_by_email_when_the_id_is_unknown(hubspot, lucas):
    contact = hubspot.find_contact(prospect_id="hs_other", email="LUCAS@ninja.example")
    assert contact is not None
    assert contact.remote_id == lucas


def test_create_update_note_and_task_send_hubspots_shapes(hubspot, fake_hubspot):
    # When a contact is created, updated, and given a note and a task
    contact = hubspot.create_contact(
        prospect_id="hs_new", fields={"name": "Ana Ruiz", "email": "ana@acme.example", "stage": "lead"}
    )
    updated = hubspot.update_contact(contact.remote_id, {"stage": "lost", "do_not_contact": True})
    note_id = hubspot.add_note(contact.remote_id, body="Asked for pricing", conversation_id=7)
    due = datetime(2026, 12, 24, 9, 0, tzinfo=UTC)
    task_id = hubspot.create_task(contact.remote_id, title="Call Ana", body="About Premium", due_at=due)

    # Then HubSpot stored them as its API documents them
    stored = fake_hubspot.contacts[contact.remote_id]["properties"]
    assert stored[ID_PROPERTY] == "hs_new"
    assert (stored["firstname"], stored["lastname"], stored["email"]) == ("Ana", "Ruiz", "ana@acme.example")
    assert stored["hs_lead_status"] == "UNQUALIFIED"
    assert stored["salesagent_do_not_contact"] == "true"
    assert (updated.record.stage, updated.do_not_contact) == ("lost", True)
    note = fake_hubspot.notes[note_id]
    assert note["associations"] == {"contacts": [contact.remote_id]}
    assert note["properties"]["hs_note_body"].startswith("Asked for pricing")
    assert note["properties"]["hs_timestamp"].endswith("Z")
    task = fake_hubspot.tasks[task_id]
    assert task["associations"] == {"contacts": [contact.remote_id]}
    assert task["properties"]["hs_timestamp"] == "2026-12-24T09:00:00.000Z"
    assert (task["properties"]["hs_task_subject"], task["properties"]["hs_task_status"]) == (
        "Call Ana",
        "NOT_STARTED",
    )
    note_request = fake_hubspot.calls("POST", "/crm/v3/objects/notes")[0].body
    assert note_request["associations"][0]["types"] == [
        {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 202}
    ]
    task_request = fake_hubspot.calls("POST", "/crm/v3/objects/tasks")[0].body
    assert task_request["associations"][0]["types"][0]["associationTypeId"] == 204


def test_a_429_is_retried_after_retry_after(hubspot, fake_hubspot, lucas):
    # Given HubSpot rate-limits the next request for one second
    fake_hubspot.rate_limit(1, retry_after=1)

    # When a contact is read
    started = time.monotonic()
    contact = hubspot.read_contact(lucas)

    # Then the client waited as told and the retry succeeded
    assert time.monotonic() - started >= 1.0
    assert contact.record.name == "Lucas Almeida"
    assert len(fake_hubspot.calls("GET", f"/crm/v3/objects/contacts/{lucas}")) == 2


def test_rate_limiting_is_retried_a_bounded_number_of_times(hubspot, fake_hubspot, lucas):
    fake_hubspot.rate_limit(10, retry_after=0)

    with pytest.raises(CRMRateLimited) as raised:
        hubspot.read_contact(lucas)

    # HUBSPOT_MAX_RETRIES=2: three requests in all, and the error says what HubSpot said
    assert len(fake_hubspot.requests) == 3
    assert "429" in str(raised.value)
    assert "TEN_SECONDLY_ROLLING" in str(raised.value)
    assert raised.value.retry_after == 0


def test_a_5xx_is_retried_with_backoff(hubspot, fake_hubspot, lucas):
    fake_hubspot.fail(2, status=503)

    contact = hubspot.find_contact(prospect_id="hs_002")

    assert contact is not None
    assert contact.remote_id == lucas
    assert len(fake_hubspot.requests) == 3


def test_5xx_forever_is_crm_unavailable(hubspot, fake_hubspot):
    fake_hubspot.fail(10)

    with pytest.raises(CRMUnavailable, match="answered 502"):
        hubspot.find_contact(prospect_id="hs_002")
    assert len(fake_hubspot.requests) == 3


def test_a_rejected_request_is_not_retried_and_carries_hubspots_message(hubspot, fake_hubspot, lucas):
    # HubSpot knows no such property: a VALIDATION_ERROR (400), retrying cannot help
    with pytest.raises(CRMRequestRejected) as raised:
        hubspot._request("PATCH", f"/crm/v3/objects/contacts/{lucas}", body={"properties": {"nope": "x"}})

    assert raised.value.status == 400
    assert raised.value.category == "VALIDATION_ERROR"
    assert 'Property \\"nope\\" does not exist' in str(raised.value)
    assert len(fake_hubspot.requests) == 1


def test_a_missing_contact_is_contact_not_found(hubspot):
    with pytest.raises(ContactNotFound, match="OBJECT_NOT_FOUND"):
        hubspot.read_contact("999999")


def test_a_wrong_token_is_rejected_clearly(hubspot_settings, fake_hubspot):
    hubspot_settings.HUBSPOT_ACCESS_TOKEN = "wrong"
    client = HubSpotCRMClient.from_settings()

    with pytest.raises(CRMRequestRejected) as raised:
        client.find_contact(prospect_id="hs_002")
    assert (raised.value.status, raised.value.category) == (401, "INVALID_AUTHENTICATION")


def test_the_turn_goes_on_without_crm_data_when_hubspot_is_down(hubspot_settings, fake_hubspot, api_client):
    # Given HubSpot failing every request
    fake_hubspot.fail(50)

    # When a known prospect writes
    response = api_client.post(
        "/api/process_message",
        {"current_prospect_message": "Can I pay in installments?", "prospect_id": "hs_002"},
        format="json",
    )

    # Then the turn is answered, and its tool log shows the failed lookup
    assert response.status_code == 200, response.content
    assert response.json()["crm_data"] is None
    output = ActionableOutput.objects.get(analysis_id=response.json()["analysis_id"])
    lookup = next(call for call in output.tool_usage_log if call["tool"] == "crm_lookup")
    assert lookup["ok"] is False
    assert "answered 502" in lookup["error"]
    # The turn's lookup retries at most once
    assert len(fake_hubspot.requests) == 2


def test_logging_an_interaction_writes_nothing_to_hubspot(hubspot, fake_hubspot, lucas):
    # Only approved proposals write to a team's HubSpot; the per-message log stays ours
    get_crm_client().log_interaction(external_id="hs_002", kind="inbound_message", summary="asked about SSO")

    assert fake_hubspot.notes == {}
    assert fake_hubspot.requests == []


def test_a_timed_out_search_is_retried(hubspot_settings, fake_hubspot, lucas):
    hubspot_settings.HUBSPOT_TIMEOUT_SECONDS = 0.3
    fake_hubspot.stall(1, seconds=1.0, path="/crm/v3/objects/contacts/search")

    contact = HubSpotCRMClient.from_settings().find_contact(prospect_id="hs_002")

    assert contact is not None
    assert len(fake_hubspot.calls("POST", "/crm/v3/objects/contacts/search")) == 2


def test_a_timed_out_note_is_not_sent_twice(hubspot_settings, fake_hubspot, lucas):
    # HubSpot may have stored a note it did not answer for in time: creating it again could duplicate it
    hubspot_settings.HUBSPOT_TIMEOUT_SECONDS = 0.3
    fake_hubspot.stall(1, seconds=1.0, path="/crm/v3/objects/notes")

    with pytest.raises(CRMUnavailable, match=r"timed out after 0\.3s"):
        HubSpotCRMClient.from_settings().add_note(lucas, body="Asked for a call")

    assert len(fake_hubspot.calls("POST", "/crm/v3/objects/notes")) == 1


def test_retries_wait_by_exponential_backoff_and_by_retry_after(hubspot_settings, fake_hubspot, lucas):
    # Given a client that records its waits instead of sleeping, backoff 0.5 s
    waits: list[float] = []
    client = HubSpotCRMClient(
        access_token=fake_hubspot.token,
        base_url=fake_hubspot.base_url,
        id_property=hubspot_settings.HUBSPOT_ID_PROPERTY,
        timeout_seconds=5.0,
        max_retries=2,
        backoff_seconds=0.5,
        sleep=waits.append,
    )

    # When HubSpot fails twice with a 503, then (later) rate-limits once with Retry-After: 7
    fake_hubspot.fail(2, status=503)
    client.read_contact(lucas)
    backoff = list(waits)
    waits.clear()
    fake_hubspot.rate_limit(1, retry_after=7)
    client.read_contact(lucas)

    # Then the 5xx retries waited 0.5 then 1 s, and the 429 retry what HubSpot asked
    assert backoff == [0.5, 1.0]
    assert waits == [7.0]
