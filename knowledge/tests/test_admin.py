"""Knowledge admin: staff edits go through the service (reindex after commit) and pages show the index."""

from __future__ import annotations

import pytest

from knowledge.models import Document
from knowledge.services import document_upsert

pytestmark = pytest.mark.django_db


@pytest.fixture
def document(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        document, _ = document_upsert(
            slug="gadgets", title="Gadgets", category="testcat", body="# Gadgets\n\nGadgets are shiny."
        )
    return document


def test_changelist_shows_index_status_and_chunk_count(admin_client, document):
    response = admin_client.get("/admin/knowledge/document/", {"q": "gadgets"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "gadgets" in page
    assert "Indexed" in page
    assert '<td class="field-chunk_count">1</td>' in page


def test_change_page_lists_the_chunks(admin_client, document):
    page = admin_client.get(f"/admin/knowledge/document/{document.pk}/change/").content.decode()
    assert "Gadgets are shiny." in page
    assert "local:all-MiniLM-L6-v2" in page


def test_saving_in_the_admin_reindexes_after_commit(
    admin_client, document, django_capture_on_commit_callbacks
):
    form = {
        "slug": "gadgets",
        "title": "Gadgets",
        "language": "en",
        "translation_of": "",
        "category": "testcat",
        "tags": "[]",
        "is_active": "on",
        "source": "",
        "body": "# Gadgets\n\nGadgets are matte black now.",
        "chunks-TOTAL_FORMS": "0",
        "chunks-INITIAL_FORMS": "0",
    }
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin_client.post(f"/admin/knowledge/document/{document.pk}/change/", form)
    document.refresh_from_db()
    assert response.status_code == 302
    assert document.index_status == Document.IndexStatus.PENDING  # nothing indexed before commit

    for callback in callbacks:
        callback()
    document.refresh_from_db()
    assert document.index_status == Document.IndexStatus.INDEXED
    assert [chunk.text for chunk in document.chunks.all()] == ["Gadgets are matte black now."]


def test_reindex_selected_action_rebuilds_the_chunks(
    admin_client, document, django_capture_on_commit_callbacks
):
    old_chunk_ids = set(document.chunks.values_list("pk", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/knowledge/document/",
            {"action": "reindex_selected", "_selected_action": [document.pk]},
            follow=True,
        )

    assert "Reindex scheduled for 1 document(s)." in response.content.decode()
    document.refresh_from_db()
    assert document.index_status == Document.IndexStatus.INDEXED
    new_chunk_ids = set(document.chunks.values_list("pk", flat=True))
    assert new_chunk_ids
    assert new_chunk_ids.isdisjoint(old_chunk_ids)


def test_changelist_shows_whole_base_index_progress(admin_client, document):
    Document.objects.filter(pk=document.pk).update(index_status=Document.IndexStatus.PENDING)
    total = Document.objects.count()

    page = admin_client.get("/admin/knowledge/document/").content.decode()

    assert f"{total - 1} of {total} documents indexed" in page
    assert "1 pending" in page


def test_staff_set_a_documents_language_and_original_in_the_admin(
    admin_client, document, django_capture_on_commit_callbacks
):
    # Given a document staff are turning into the Spanish translation of another one
    original = Document.objects.get(slug="free-trial")
    form = {
        "slug": "gadgets",
        "title": "Aparatos",
        "language": "es",
        "translation_of": str(original.pk),
        "category": "testcat",
        "tags": "[]",
        "is_active": "on",
        "source": "",
        "body": "# Aparatos\n\nLos aparatos brillan.",
        "chunks-TOTAL_FORMS": "0",
        "chunks-INITIAL_FORMS": "0",
    }

    # When the form is saved
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/admin/knowledge/document/{document.pk}/change/", form)

    # Then it is stored, indexed in Spanish, and listed under the Spanish filter
    assert response.status_code == 302
    document.refresh_from_db()
    assert (document.language, document.translation_of) == ("es", original)
    assert document.index_status == Document.IndexStatus.INDEXED
    page = admin_client.get("/admin/knowledge/document/", {"language__exact": "es"}).content.decode()
    assert "Aparatos" in page
    assert "free-trial-es" in page
    assert "Plans and pricing" not in page


def test_the_admin_refuses_a_translation_in_its_originals_language(admin_client, document):
    form = {
        "slug": "gadgets",
        "title": "Gadgets",
        "language": "en",
        "translation_of": str(Document.objects.get(slug="free-trial").pk),
        "category": "testcat",
        "tags": "[]",
        "is_active": "on",
        "source": "",
        "body": "# Gadgets\n\nGadgets are shiny.",
        "chunks-TOTAL_FORMS": "0",
        "chunks-INITIAL_FORMS": "0",
    }

    response = admin_client.post(f"/admin/knowledge/document/{document.pk}/change/", form)

    assert response.status_code == 200
    assert "A translation must be in another language than its original." in response.content.decode()
    document.refresh_from_db()
    assert document.translation_of is None
