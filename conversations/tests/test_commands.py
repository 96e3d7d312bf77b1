"""The ``load_demo`` management command."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from company.demo_data import load_demo_company
from company.models import CompanyProfile
from conversations.demo_data import load_taxonomy_intents
from conversations.management.commands.load_taxonomy import TAXONOMY_PROFILE_FILE
from conversations.models import Intent
from crm.models import Prospect
from knowledge.models import Chunk, Document

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_load_demo_is_idempotent_and_does_not_reembed_unchanged_documents():
    # Given the demo loaded once by the session fixture
    chunk_ids = set(Chunk.objects.values_list("id", flat=True))
    counts = (Document.objects.count(), Prospect.objects.count(), Intent.objects.count())
    # When it is loaded again
    output = run("load_demo")
    # Then nothing is created, changed or re-embedded
    assert "documents: 0 created, 0 restored" in output
    assert (Document.objects.count(), Prospect.objects.count(), Intent.objects.count()) == counts
    assert set(Chunk.objects.values_list("id", flat=True)) == chunk_ids
    # 12 English originals and their Spanish, Portuguese, French and German translations
    assert counts[0] >= 60
    assert counts[1] == 10
    assert counts[2] == 17
    assert all(len(examples) >= 8 for examples in Intent.objects.values_list("examples", flat=True))
    assert not Document.objects.exclude(index_status=Document.IndexStatus.INDEXED).exists()


def _edit_demo_rows() -> tuple[Document, Prospect, Intent]:
    document = Document.objects.get(slug="plans-and-pricing")
    document.body = document.body.replace("$49", "$45")
    document.save()
    prospect = Prospect.objects.get(external_id="prospect_001")
    prospect.lead_score = 12
    prospect.save()
    intent = Intent.objects.get(name="greeting")
    intent.examples = [*intent.examples, "yo, what's up"]
    intent.save()
    return document, prospect, intent


def test_load_demo_keeps_staff_edits_and_says_what_it_left_alone():
    # Given staff edited a demo document, prospect and intent
    document, prospect, intent = _edit_demo_rows()
    # When the demo is loaded again (as `make run` does)
    output = run("load_demo")
    # Then every edit is still stored, and the command says which rows it left alone
    document.refresh_from_db()
    prospect.refresh_from_db()
    intent.refresh_from_db()
    assert "$45 per seat" in document.body
    assert prospect.lead_score == 12
    assert "yo, what's up" in intent.examples
    assert "documents: 0 created, 0 restored, " in output
    assert "differ from the demo: plans-and-pricing" in output
    assert "differ from the demo: prospect_001" in output
    assert "differ from the demo: greeting" in output
    assert "load_demo --reset" in output


def test_load_demo_reset_restores_edited_rows_on_purpose():
    # Given edited demo rows
    document, prospect, intent = _edit_demo_rows()
    # When the demo is reset
    output = run("load_demo", "--reset")
    # Then the demo versions are back
    document.refresh_from_db()
    prospect.refresh_from_db()
    intent.refresh_from_db()
    assert "$49 per seat" in document.body
    assert "$45" not in document.body
    assert prospect.lead_score == 85
    assert "yo, what's up" not in intent.examples
    assert "documents: 0 created, 1 restored" in output
    assert "prospects: 0 created, 1 restored" in output


def test_load_demo_recreates_a_deleted_demo_row_only():
    # Given one demo prospect deleted and another edited
    Prospect.objects.filter(external_id="prospect_002").delete()
    Prospect.objects.filter(external_id="prospect_003").update(notes="Call back in January.")
    # When the demo is loaded
    output = run("load_demo")
    # Then the missing one is back and the edited one is untouched
    assert Prospect.objects.get(external_id="prospect_002").name == "Lucas Almeida"
    assert Prospect.objects.get(external_id="prospect_003").notes == "Call back in January."
    assert "prospects: 1 created" in output


def test_the_taxonomy_restores_company_neutral_intents_and_keeps_the_company_profile():
    # Given the demo intents (with the demo company's own examples) and the demo's profile
    assert any("Premium" in text for text in Intent.objects.get(name="pricing_inquiry").examples)

    # When the default taxonomy is restored (load_taxonomy --reset, without its reader training)
    report = load_taxonomy_intents(reset=True)
    profile = load_demo_company(path=TAXONOMY_PROFILE_FILE)

    # Then every intent holds company-neutral examples only, with a company-neutral greeting
    assert len(report.restored) == 17
    pricing = Intent.objects.get(name="pricing_inquiry")
    assert len(pricing.examples) >= 100
    assert not any(
        name in text for text in pricing.examples for name in ("Premium", "Orbit", "Standard plan")
    )
    assert "analytics" not in Intent.objects.get(name="greeting").reply_frames["en"]["closer"]
    # and the demo's company profile is staff data the taxonomy's defaults do not replace
    assert profile.profile == "left alone"
    assert CompanyProfile.objects.get().name == "Orbit Analytics"


def test_load_demo_names_the_companies_it_knows():
    with pytest.raises(CommandError, match="brightdesk"):
        run("load_demo", "--company", "acme")
