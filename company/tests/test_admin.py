"""The company profile in the admin: one row, edited in place, read by the next turn."""

from __future__ import annotations

import pytest

from company.models import PROFILE_ID, CompanyProfile, CompanyTerm

pytestmark = pytest.mark.django_db


def test_the_profile_list_opens_the_one_profile(admin_client):
    response = admin_client.get("/admin/company/companyprofile/")

    assert response.status_code == 302
    assert response["Location"] == f"/admin/company/companyprofile/{PROFILE_ID}/change/"


def test_the_unit_staff_enter_is_the_unit_the_next_quote_is_written_in(admin_client, api_client):
    # Given staff who sell licences, not seats, save that in the profile
    response = admin_client.post(
        f"/admin/company/companyprofile/{PROFILE_ID}/change/",
        {
            "name": "Orbit Analytics",
            "unit_singular": "licence",
            "unit_plural": "licences",
            "unit_translations": '{"es": ["licencia", "licencias"]}',
            "pitch_categories": "meetings",
        },
    )
    assert response.status_code == 302, response.content.decode()[:1500]
    assert CompanyProfile.objects.get(pk=PROFILE_ID).unit_plural == "licences"

    # When a prospect asks for a quote
    turn = api_client.post(
        "/api/process_message",
        {"current_prospect_message": "How much is Standard for 20 users?", "prospect_id": "prospect_001"},
        format="json",
    ).json()

    # Then the quote counts licences
    assert "For 20 licences of Standard" in turn["suggested_response_draft"]
    assert "per licence per month" in turn["suggested_response_draft"]


def test_a_malformed_translation_is_a_form_error(admin_client):
    response = admin_client.post(
        f"/admin/company/companyprofile/{PROFILE_ID}/change/",
        {"unit_singular": "seat", "unit_plural": "seats", "unit_translations": '{"es": "usuarios"}'},
    )

    assert response.status_code == 200
    assert "singular and plural" in response.content.decode()
    assert CompanyProfile.objects.get(pk=PROFILE_ID).unit_translations["es"] == ["usuario", "usuarios"]


def test_a_term_staff_add_is_stored_and_the_reader_retrains_after_commit(
    admin_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = admin_client.post(
            "/admin/company/companyterm/add/",
            {"kind": "competitor", "name": "Sisense", "aliases": "sisense bi"},
        )

    assert response.status_code == 302
    assert CompanyTerm.objects.get(name="Sisense").aliases == ["sisense bi"]
    # The reader learns the company's names: one retraining is scheduled for when the save commits
    assert len(callbacks) == 1
