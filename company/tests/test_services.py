"""Loading a company file: what it creates, and that staff edits survive a second load."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from company.models import PROFILE_ID, CompanyProfile, CompanyTerm
from company.services import company_load

pytestmark = pytest.mark.django_db

COMPANY = {
    "name": "Acme Desk",
    "unit": {"en": ["agent", "agents"], "es": ["agente", "agentes"]},
    "pitch_categories": ["meetings"],
    "terms": [
        {"kind": "integration", "name": "Jira", "aliases": ["jira cloud"]},
        {"kind": "competitor", "name": "Zendesk", "aliases": []},
    ],
}


@pytest.fixture
def empty_company():
    CompanyTerm.objects.all().delete()
    CompanyProfile.objects.all().delete()


def test_a_company_file_creates_the_profile_and_its_terms(empty_company):
    report = company_load(COMPANY)

    profile = CompanyProfile.objects.get(pk=PROFILE_ID)
    assert (profile.name, profile.unit_singular, profile.unit_plural) == ("Acme Desk", "agent", "agents")
    assert profile.unit_translations == {"es": ["agente", "agentes"]}
    assert sorted(CompanyTerm.objects.values_list("kind", "name")) == [
        ("competitor", "Zendesk"),
        ("integration", "Jira"),
    ]
    assert report.profile == "created"
    assert len(report.created) == 2


def test_loading_again_keeps_what_staff_edited_and_adds_new_aliases(empty_company):
    company_load(COMPANY)
    CompanyProfile.objects.filter(pk=PROFILE_ID).update(name="Acme Helpdesk")
    CompanyTerm.objects.filter(name="Jira").update(aliases=["atlassian jira"])

    report = company_load(COMPANY)

    assert CompanyProfile.objects.get(pk=PROFILE_ID).name == "Acme Helpdesk"
    assert CompanyTerm.objects.get(name="Jira").aliases == ["atlassian jira", "jira cloud"]
    assert report.profile == "left alone"
    assert report.updated == ["integration Jira"]


def test_replace_restores_the_file(empty_company):
    company_load(COMPANY)
    CompanyProfile.objects.filter(pk=PROFILE_ID).update(name="Acme Helpdesk")

    company_load(COMPANY, replace=True)

    assert CompanyProfile.objects.get(pk=PROFILE_ID).name == "Acme Desk"


def test_a_profile_with_a_malformed_translation_is_rejected_and_nothing_is_written(empty_company):
    broken = {**COMPANY, "unit": {"en": ["agent", "agents"], "es": ["agente"]}}

    with pytest.raises(ValidationError, match="singular and plural"):
        company_load(broken)

    assert not CompanyProfile.objects.exists()
    assert not CompanyTerm.objects.exists()
