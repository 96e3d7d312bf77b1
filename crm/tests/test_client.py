"""The CRM client: local backend, caching, unknown prospects and interaction logging."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from crm.client import (
    CachedCRMClient,
    CRMClient,
    LocalCRMClient,
    ProspectRecord,
    get_crm_client,
    invalidate_prospect_cache,
)
from crm.models import Interaction, Prospect

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clear_cache():
    cache.clear()
    yield
    cache.clear()


def known_prospect(client: CRMClient, external_id: str) -> ProspectRecord:
    record = client.get_prospect(external_id)
    assert record is not None, external_id
    return record


@pytest.fixture
def prospect():
    return Prospect.objects.create(
        external_id="prospect_t01", name="Ada Test", company="Testco", lead_score=70, technologies=["Slack"]
    )


def test_get_prospect_returns_a_record_with_crm_fields(prospect):
    record = get_crm_client().get_prospect("prospect_t01")
    assert record is not None
    assert (record.prospect_id, record.name, record.company, record.lead_score) == (
        "prospect_t01",
        "Ada Test",
        "Testco",
        70,
    )
    assert record.technologies == ["Slack"]
    assert record.first_name == "Ada"


def test_unknown_prospect_is_none_not_an_error():
    assert get_crm_client().get_prospect("prospect_nope") is None


def test_records_are_cached_until_invalidated(prospect, django_assert_num_queries):
    client = CachedCRMClient(LocalCRMClient(), ttl_seconds=60)
    client.get_prospect("prospect_t01")
    Prospect.objects.filter(pk=prospect.pk).update(lead_score=10)
    with django_assert_num_queries(0):
        assert known_prospect(client, "prospect_t01").lead_score == 70
    invalidate_prospect_cache("prospect_t01")
    assert known_prospect(client, "prospect_t01").lead_score == 10


def test_misses_are_cached_too(django_assert_num_queries):
    client = CachedCRMClient(LocalCRMClient(), ttl_seconds=60)
    assert client.get_prospect("prospect_nope") is None
    with django_assert_num_queries(0):
        assert client.get_prospect("prospect_nope") is None


def test_log_interaction_records_it_and_refreshes_the_cached_record(prospect):
    client = get_crm_client()
    assert known_prospect(client, "prospect_t01").last_contacted_at is None
    client.log_interaction(external_id="prospect_t01", kind="inbound_message", summary="asked about SSO")
    interaction = Interaction.objects.get(prospect=prospect)
    assert interaction.summary == "asked about SSO"
    assert known_prospect(client, "prospect_t01").last_contacted_at is not None


def test_log_interaction_is_one_statement_that_stamps_the_prospect_with_the_interaction_time(
    prospect, django_assert_num_queries
):
    # When the local backend logs an interaction (it does after every turn with a known prospect)
    with django_assert_num_queries(1):
        LocalCRMClient().log_interaction(
            external_id="prospect_t01", kind="agent_reply", summary="x" * 2500, conversation_id=None
        )

    # Then the interaction is stored, truncated, and the prospect was last contacted when it happened
    interaction = Interaction.objects.get(prospect=prospect)
    assert (interaction.kind, len(interaction.summary), interaction.conversation_id) == (
        "agent_reply",
        2000,
        None,
    )
    prospect.refresh_from_db()
    assert prospect.last_contacted_at == interaction.created_at


def test_log_interaction_for_unknown_prospect_is_ignored():
    get_crm_client().log_interaction(external_id="prospect_nope", kind="inbound_message", summary="x")
    assert not Interaction.objects.exists()
