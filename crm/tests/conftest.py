"""CRM test fixtures: a fake HubSpot server and the app configured to use it, and turns to propose from."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.core.cache import cache

from crm.backends.hubspot import DO_NOT_CONTACT_PROPERTY
from crm.models import Proposal
from crm.testing.fake_hubspot import FakeHubSpot

ID_PROPERTY = "salesagent_prospect_id"


@pytest.fixture(autouse=True)
def clean_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def fake_hubspot() -> Iterator[FakeHubSpot]:
    """HubSpot CRM v3 on a free 127.0.0.1 port, with our two custom contact properties."""
    server = FakeHubSpot(custom_properties=(ID_PROPERTY, DO_NOT_CONTACT_PROPERTY)).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def hubspot_settings(settings, fake_hubspot):
    """The app's CRM is the fake HubSpot; backoff is tiny so retries cost no test time."""
    settings.CRM_BACKEND = "hubspot"
    settings.HUBSPOT_ACCESS_TOKEN = fake_hubspot.token
    settings.HUBSPOT_BASE_URL = fake_hubspot.base_url
    settings.HUBSPOT_ID_PROPERTY = ID_PROPERTY
    settings.HUBSPOT_TIMEOUT_SECONDS = 5.0
    settings.HUBSPOT_MAX_RETRIES = 2
    settings.HUBSPOT_BACKOFF_SECONDS = 0.01
    return settings


@pytest.fixture
def turn_proposals(api_client) -> Callable[..., dict[str, Proposal]]:
    """Post a prospect message through the API; the turn's proposals by action."""

    def post(message: str, prospect_id: str | None = None) -> dict[str, Proposal]:
        body: dict[str, object] = {"current_prospect_message": message}
        if prospect_id:
            body["prospect_id"] = prospect_id
        response = api_client.post("/api/process_message", body, format="json")
        assert response.status_code == 200, response.content
        analysis_id = response.json()["analysis_id"]
        return {p.action: p for p in Proposal.objects.filter(analysis_id=analysis_id)}

    return post
