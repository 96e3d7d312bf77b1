"""Knowledge documents API: staff create and edit (reindexed after commit), others only read."""

from __future__ import annotations

import pytest

from knowledge.models import Document

pytestmark = pytest.mark.django_db

NEW_DOCUMENT = {
    "slug": "warranty",
    "title": "Warranty",
    "category": "policies",
    "tags": ["Warranty", " hardware "],
    "body": "# Warranty\n\n## Length\nEvery device has a 3-year warranty.",
}


def test_staff_create_a_document_and_it_is_indexed(staff_api_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_api_client.post("/api/knowledge/documents/", NEW_DOCUMENT, format="json")

    assert response.status_code == 201
    assert response.json()["slug"] == "warranty"
    assert response.json()["chunk_count"] == 0, "the 201 carries every field its schema declares"
    document = Document.objects.get(slug="warranty")
    assert document.tags == ["warranty", "hardware"]
    assert document.index_status == Document.IndexStatus.INDEXED
    assert document.chunks.get().heading_path == "Warranty > Length"
    listed = staff_api_client.get("/api/knowledge/documents/", {"category": "policies"}).json()
    assert [(row["slug"], row["chunk_count"]) for row in listed["results"]] == [("warranty", 1)]


def test_a_slug_already_taken_is_a_409(staff_api_client):
    response = staff_api_client.post(
        "/api/knowledge/documents/", {**NEW_DOCUMENT, "slug": "plans-and-pricing"}, format="json"
    )

    assert response.status_code == 409
    assert "slug" in response.json()


def test_keys_without_knowledge_write_can_read_but_not_write(api_client):
    assert api_client.get("/api/knowledge/documents/plans-and-pricing/").json()["title"]

    response = api_client.post("/api/knowledge/documents/", NEW_DOCUMENT, format="json")
    patch = api_client.patch("/api/knowledge/documents/plans-and-pricing/", {"body": "Free!"}, format="json")

    assert (response.status_code, patch.status_code) == (403, 403)
    assert not Document.objects.filter(slug="warranty").exists()
    assert "Free!" not in Document.objects.get(slug="plans-and-pricing").body


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"body": "   "}, "body"),
        ({"tags": "warranty"}, "tags"),
        ({"tags": ["ok", 3]}, "tags"),
        ({"slug": "not a slug!"}, "slug"),
        ({"title": ""}, "title"),
    ],
)
def test_bad_documents_get_field_errors_and_nothing_is_stored(staff_api_client, change, field):
    count = Document.objects.count()

    response = staff_api_client.post("/api/knowledge/documents/", {**NEW_DOCUMENT, **change}, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert Document.objects.count() == count


def test_staff_create_a_translation_by_naming_its_original(
    staff_api_client, django_capture_on_commit_callbacks
):
    translation = {
        **NEW_DOCUMENT,
        "slug": "plans-and-pricing-xx-test",
        "language": "it",
        "translation_of": "plans-and-pricing",
        "body": "# Piani\n\n## Standard\nIl piano Standard costa $49 per utente al mese.",
    }

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_api_client.post("/api/knowledge/documents/", translation, format="json")

    assert response.status_code == 201
    assert (response.json()["language"], response.json()["translation_of"]) == ("it", "plans-and-pricing")
    stored = Document.objects.get(slug="plans-and-pricing-xx-test")
    assert stored.language == "it"
    assert stored.translation_of is not None
    assert stored.translation_of.slug == "plans-and-pricing"
    assert stored.index_status == Document.IndexStatus.INDEXED
    listed = staff_api_client.get("/api/knowledge/documents/", {"language": "it"}).json()
    assert [row["slug"] for row in listed["results"]] == ["plans-and-pricing-xx-test"]


def test_changing_a_documents_language_through_the_api_reindexes_it(
    staff_api_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        staff_api_client.post("/api/knowledge/documents/", NEW_DOCUMENT, format="json")
    indexed_hash = Document.objects.get(slug="warranty").indexed_hash

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_api_client.patch(
            "/api/knowledge/documents/warranty/", {"language": "nl"}, format="json"
        )

    assert response.status_code == 200
    document = Document.objects.get(slug="warranty")
    assert document.language == "nl"
    assert document.indexed_hash != indexed_hash
    assert document.index_status == Document.IndexStatus.INDEXED


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"language": "xx"}, "language"),
        ({"translation_of": "no-such-document"}, "translation_of"),
        ({"translation_of": "plans-and-pricing"}, "translation_of"),  # same language as the original
        ({"language": "pt", "translation_of": "plans-and-pricing-es"}, "translation_of"),  # not an original
    ],
)
def test_bad_translations_get_field_errors_and_nothing_is_stored(staff_api_client, change, field):
    count = Document.objects.count()

    response = staff_api_client.post("/api/knowledge/documents/", {**NEW_DOCUMENT, **change}, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert Document.objects.count() == count


def test_document_list_query_count_does_not_grow_with_translations(api_client, django_assert_num_queries):
    # Token lookup, page count, the page itself: each row's original comes from the same query.
    with django_assert_num_queries(3):
        response = api_client.get("/api/knowledge/documents/", {"language": "es"})

    rows = response.json()["results"]
    assert len(rows) == 12
    assert {row["translation_of"] for row in rows} == {row["slug"].removesuffix("-es") for row in rows}
