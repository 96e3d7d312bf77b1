"""README, "Set it up for your company", followed step by step on an emptied database: the default
intents by command, then documents and prospects through the API and the price book and company
profile through the admin; the next turn answers from that company alone."""

from __future__ import annotations

import json
from collections.abc import Iterator
from io import StringIO

import pytest
from django.core.management import call_command

from company.models import PROFILE_ID, CompanyProfile, CompanyTerm
from conversations.models import Intent, ReaderModel, TrainingExample
from crm.models import Prospect
from knowledge.index_version import bump_search_version
from knowledge.ingestion import read_document_file
from knowledge.models import Document
from pricing.models import PriceBook
from salesagent.tests.companies import BRIGHTDESK_DIR

pytestmark = pytest.mark.django_db


@pytest.fixture
def empty_database() -> Iterator[None]:
    """Nothing of any company: what a new deployment starts from after `migrate`."""
    for model in (Document, Prospect, Intent, TrainingExample, ReaderModel, CompanyTerm, CompanyProfile):
        model.objects.all().delete()
    PriceBook.objects.all().delete()
    yield
    # What was cached from this company's documents (search results, the knowledge vocabulary) is
    # keyed by the index version; the rollback does not move it on, so this does.
    bump_search_version()


def price_book_form() -> dict[str, str]:
    """The admin's add form for the second company's price book, as staff would fill it in."""
    book = json.loads((BRIGHTDESK_DIR / "price_book.json").read_text(encoding="utf-8"))
    form = {
        "name": book["name"],
        "currency": book["currency"],
        "is_active": "on",
        "monthly_billing_surcharge_percent": book["monthly_billing_surcharge_percent"],
        "stack_order": ",".join(book["stack_order"]),
        "plans-TOTAL_FORMS": str(len(book["plans"])),
        "plans-INITIAL_FORMS": "0",
        "volume_discounts-TOTAL_FORMS": str(len(book["volume_discounts"])),
        "volume_discounts-INITIAL_FORMS": "0",
        "segment_discounts-TOTAL_FORMS": str(len(book["segment_discounts"])),
        "segment_discounts-INITIAL_FORMS": "0",
    }
    for index, plan in enumerate(book["plans"]):
        form |= {
            f"plans-{index}-name": plan["name"],
            f"plans-{index}-aliases": ",".join(plan["aliases"]),
            f"plans-{index}-seat_price": plan["seat_price"] or "",
            f"plans-{index}-max_seats": str(plan["max_seats"] or ""),
            f"plans-{index}-custom_pricing": "on" if plan["custom_pricing"] else "",
            f"plans-{index}-sort_order": str(plan["sort_order"]),
        }
    for index, tier in enumerate(book["volume_discounts"]):
        form |= {
            f"volume_discounts-{index}-min_seats": str(tier["min_seats"]),
            f"volume_discounts-{index}-percent": tier["percent"],
        }
    for index, segment in enumerate(book["segment_discounts"]):
        form |= {
            f"segment_discounts-{index}-segment": segment["segment"],
            f"segment_discounts-{index}-label": segment["label"],
            f"segment_discounts-{index}-terms": ",".join(segment["terms"]),
            f"segment_discounts-{index}-percent": segment["percent"],
            f"segment_discounts-{index}-duration_months": str(segment["duration_months"] or ""),
        }
    return {key: value for key, value in form.items() if value != ""}


def test_a_new_company_from_an_empty_database_to_answered_turns(
    empty_database, admin_client, staff_api_client, api_client, django_capture_on_commit_callbacks
):
    # 1. The default intents (the one command after migrate), with a reader trained on them
    output = StringIO()
    call_command("load_taxonomy", stdout=output)
    assert "intents: 17 created" in output.getvalue()
    assert "reader: trained" in output.getvalue()
    assert Intent.objects.filter(is_active=True).count() == 17

    # 2. Documents through the API (English originals), indexed when the request commits
    with django_capture_on_commit_callbacks(execute=True):
        for path in sorted((BRIGHTDESK_DIR / "knowledge").glob("*.md")):
            parsed = read_document_file(path)
            response = staff_api_client.post(
                "/api/knowledge/documents/",
                {
                    "slug": parsed.slug,
                    "title": parsed.title,
                    "category": parsed.category,
                    "tags": parsed.tags,
                    "body": parsed.body,
                },
                format="json",
            )
            assert response.status_code == 201, response.content
    assert not Document.objects.exclude(index_status=Document.IndexStatus.INDEXED).exists()

    # 3. The company profile (load_taxonomy wrote its defaults) in the admin: priced per agent, its
    # tools and competitors
    response = admin_client.post(
        f"/admin/company/companyprofile/{PROFILE_ID}/change/",
        {
            "name": "BrightDesk",
            "unit_singular": "agent",
            "unit_plural": "agents",
            "unit_translations": "{}",
            "pitch_categories": "meetings",
        },
    )
    assert response.status_code == 302, response.content.decode()[:1500]
    for kind, name in (("integration", "Intercom"), ("integration", "Shopify"), ("competitor", "Zendesk")):
        assert (
            admin_client.post(
                "/admin/company/companyterm/add/", {"kind": kind, "name": name, "aliases": ""}
            ).status_code
            == 302
        )

    # 4. The price book in the admin
    response = admin_client.post("/admin/pricing/pricebook/add/", price_book_form())
    assert response.status_code == 302, response.content.decode()[:3000]

    # 5. A prospect through the API
    prospect = json.loads((BRIGHTDESK_DIR / "prospects.json").read_text(encoding="utf-8"))[0]
    response = staff_api_client.post("/api/crm/prospects/", prospect, format="json")
    assert response.status_code == 201, response.content

    # Then a turn answers from this company: its plan, its unit, its documents
    turn = api_client.post(
        "/api/process_message",
        {
            "current_prospect_message": "We're 40 agents. What would the Growth plan cost?",
            "prospect_id": prospect["external_id"],
        },
        format="json",
    ).json()
    draft = turn["suggested_response_draft"]
    assert "For 40 agents of Growth" in draft
    assert "$1,482 per month" in draft
    assert "The Growth plan costs $39 per agent per month." in draft  # from its plans-and-pricing document
    assert turn["classification"]["intent"] == "pricing_inquiry"
