"""CRM admin: prospects are searchable and show the interactions logged for them."""

from __future__ import annotations

import pytest

from crm.models import Interaction, Prospect

pytestmark = pytest.mark.django_db


def test_prospect_search_finds_by_company(admin_client):
    page = admin_client.get("/admin/crm/prospect/", {"q": "FreshCart"}).content.decode()
    assert "prospect_005" in page
    assert "prospect_001" not in page


def test_prospect_page_shows_its_interactions(admin_client):
    prospect = Prospect.objects.get(external_id="prospect_003")
    Interaction.objects.create(prospect=prospect, summary="[security_question] Asked about HIPAA")

    page = admin_client.get(f"/admin/crm/prospect/{prospect.pk}/change/").content.decode()

    assert "Priya Raman" in page
    assert "[security_question] Asked about HIPAA" in page
