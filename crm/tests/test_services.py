"""The CRM service layer: every write path (API, admin, demo loader) drops the cached record on
commit, so turns read the new lead score at once; logging after a turn never fails the turn."""

from __future__ import annotations

import kombu.exceptions
import pytest
from django.core.cache import cache
from django.db import OperationalError

from apikeys.access import SYSTEM, Access, ScopeDenied
from conversations.models import AnalysisResult
from crm import tasks
from crm.client import get_crm_client
from crm.demo_data import load_demo_prospects
from crm.models import Interaction, Prospect
from crm.services import prospect_create, prospect_update

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clean_cache():
    cache.clear()
    yield
    cache.clear()


def _turn_lead_score(client, prospect_id: str = "prospect_005") -> int:
    body = {"current_prospect_message": "How much is Premium?", "prospect_id": prospect_id}
    return client.post("/api/process_message", body, format="json").json()["crm_data"]["lead_score"]


def _admin_form(prospect: Prospect, **changes: object) -> dict[str, object]:
    data = {
        "external_id": prospect.external_id,
        "name": prospect.name,
        "email": prospect.email,
        "company": prospect.company,
        "industry": prospect.industry,
        "employees": prospect.employees or "",
        "lead_score": prospect.lead_score,
        "stage": prospect.stage,
        "technologies": "[]",
        "notes": prospect.notes,
        "last_contacted_at_0": "",
        "last_contacted_at_1": "",
        "interactions-TOTAL_FORMS": "0",
        "interactions-INITIAL_FORMS": "0",
        "interactions-MIN_NUM_FORMS": "0",
        "interactions-MAX_NUM_FORMS": "1000",
        "follow_up_tasks-TOTAL_FORMS": "0",
        "follow_up_tasks-INITIAL_FORMS": "0",
        "follow_up_tasks-MIN_NUM_FORMS": "0",
        "follow_up_tasks-MAX_NUM_FORMS": "1000",
    }
    return {**data, **changes}


def test_an_admin_edit_is_seen_by_the_next_turn(admin_client, api_client, django_capture_on_commit_callbacks):
    # Given a turn that cached the prospect's CRM record
    prospect = Prospect.objects.get(external_id="prospect_005")
    assert _turn_lead_score(api_client) == prospect.lead_score

    # When staff change the lead score in the admin
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            f"/admin/crm/prospect/{prospect.pk}/change/", _admin_form(prospect, lead_score=97)
        )
    assert response.status_code == 302, response.content.decode()[:2000]

    # Then the next turn reads the new score, not the cached one
    assert _turn_lead_score(api_client) == 97


def test_an_api_edit_and_a_renamed_id_are_seen_at_once(
    staff_api_client, api_client, django_capture_on_commit_callbacks
):
    assert _turn_lead_score(api_client) > 0
    with django_capture_on_commit_callbacks(execute=True):
        staff_api_client.patch(
            "/api/crm/prospects/prospect_005/",
            {"lead_score": 12, "external_id": "prospect_5b"},
            format="json",
        )

    assert get_crm_client().get_prospect("prospect_005") is None
    assert _turn_lead_score(api_client, "prospect_5b") == 12


def test_the_demo_loader_goes_through_the_service(django_capture_on_commit_callbacks):
    cached = get_crm_client().get_prospect("prospect_005")
    assert cached is not None
    assert cached.lead_score != 3  # and it is in the cache now
    Prospect.objects.filter(external_id="prospect_005").update(lead_score=3)

    with django_capture_on_commit_callbacks(execute=True):
        report = load_demo_prospects(reset=True)

    assert report.restored == ["prospect_005"]
    fresh = get_crm_client().get_prospect("prospect_005")
    assert fresh is not None
    assert fresh.lead_score == Prospect.objects.get(external_id="prospect_005").lead_score


def test_writes_need_the_crm_write_scope():
    reader = Access(scopes=frozenset({"crm:read"}), api_key_id="k", label="reader")
    with pytest.raises(ScopeDenied):
        prospect_create(access=reader, external_id="p-x", name="X")
    with pytest.raises(ScopeDenied):
        prospect_update(
            access=reader, prospect=Prospect.objects.get(external_id="prospect_001"), lead_score=1
        )
    assert not Prospect.objects.filter(external_id="p-x").exists()
    assert prospect_create(access=SYSTEM, external_id="p-x", name="X").pk


def test_a_crm_logging_failure_after_commit_never_fails_the_committed_turn(
    api_client, monkeypatch, django_capture_on_commit_callbacks
):
    # Given a broker that cannot take the logging task
    def broker_down(**kwargs):
        raise kombu.exceptions.OperationalError("Error 111 connecting to redis")

    monkeypatch.setattr(tasks.log_interaction_task, "delay", broker_down)

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(
            "/api/process_message",
            {"current_prospect_message": "Can I pay in installments?", "prospect_id": "prospect_005"},
            format="json",
        )

    assert response.status_code == 200
    assert AnalysisResult.objects.filter(pk=response.json()["analysis_id"]).exists()
    assert not Interaction.objects.exists()


def test_the_logging_task_is_queued_after_commit_and_logs_the_interaction(
    api_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = api_client.post(
            "/api/process_message",
            {"current_prospect_message": "Can I pay in installments?", "prospect_id": "prospect_005"},
            format="json",
        )
    assert not Interaction.objects.exists(), "nothing is logged before the turn commits"

    for callback in callbacks:
        callback()

    interaction = Interaction.objects.get()
    assert interaction.conversation_id == response.json()["conversation_id"]
    assert interaction.summary.startswith("[payment_question]")


def test_the_logging_task_retries_on_a_database_outage(monkeypatch):
    # Given a CRM whose database fails once
    calls = []
    client = get_crm_client()
    real = client.log_interaction

    def flaky(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        real(**kwargs)

    monkeypatch.setattr(client, "log_interaction", flaky)
    monkeypatch.setattr(tasks, "get_crm_client", lambda: client)
    retries: list[dict] = []

    def retry(**kwargs):
        retries.append(kwargs)
        raise kwargs["exc"]

    monkeypatch.setattr(tasks.log_interaction_task, "retry", retry)

    # When the task runs and fails, Celery's autoretry asks for a retry with that error
    with pytest.raises(OperationalError):
        tasks.log_interaction_task.run(external_id="prospect_005", kind="note", summary="hi")
    tasks.log_interaction_task.run(external_id="prospect_005", kind="note", summary="hi")

    assert isinstance(retries[0]["exc"], OperationalError)
    assert Interaction.objects.filter(summary="hi").count() == 1
