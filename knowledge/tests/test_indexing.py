"""Reindexing: edited documents are re-embedded, unchanged ones are not, failures are recorded."""

import contextlib

import pytest
from django.db import transaction

from knowledge import indexing
from knowledge.indexing import documents_needing_reindex, reindex_document
from knowledge.models import Chunk, Document
from knowledge.search import bump_search_version, search_knowledge
from knowledge.services import document_save, document_upsert

pytestmark = pytest.mark.django_db

BODY = "# Widgets\n\n## Sizes\nWidgets come in small and large.\n\n## Colours\nWidgets are blue or green."


@pytest.fixture
def document(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        document, _ = document_upsert(slug="widgets", title="Widgets", body=BODY, category="testcat")
    document.refresh_from_db()
    return document


def test_saving_a_document_indexes_it_after_commit(document):
    assert document.index_status == Document.IndexStatus.INDEXED
    assert document.indexed_at is not None
    chunks = list(document.chunks.order_by("ordinal"))
    assert [c.heading_path for c in chunks] == ["Widgets > Sizes", "Widgets > Colours"]
    assert all(len(c.embedding) == 384 for c in chunks)
    assert all(c.embedding_model == "local:all-MiniLM-L6-v2" for c in chunks)
    assert Chunk.objects.filter(document=document, search_vector__isnull=True).count() == 0


def test_rolled_back_edit_enqueues_nothing(document, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks() as callbacks,
        contextlib.suppress(RuntimeError),
        transaction.atomic(),
    ):
        document.body = BODY + "\n\n## Prices\nWidgets cost a lot."
        document_save(document)
        raise RuntimeError("the request failed after the save")

    assert callbacks == []
    document.refresh_from_db()
    assert document.index_status == Document.IndexStatus.INDEXED
    assert "Prices" not in document.body


def test_edited_document_is_re_embedded(document, django_capture_on_commit_callbacks):
    old_ids = set(document.chunks.values_list("id", flat=True))

    with django_capture_on_commit_callbacks(execute=True):
        document.body = BODY.replace("blue or green", "red, orange or purple")
        document_save(document)

    document.refresh_from_db()
    assert document.index_status == Document.IndexStatus.INDEXED
    texts = list(document.chunks.order_by("ordinal").values_list("text", flat=True))
    assert texts[1] == "Widgets are red, orange or purple."
    assert not old_ids & set(document.chunks.values_list("id", flat=True))


def test_unchanged_document_is_not_re_embedded(document, monkeypatch):
    ids_before = set(document.chunks.values_list("id", flat=True))

    def fail(*args, **kwargs):
        raise AssertionError("embed_texts must not be called for unchanged content")

    monkeypatch.setattr(indexing, "embed_texts", fail)
    outcome = reindex_document(document.pk)

    assert outcome.status == "unchanged"
    assert set(document.chunks.values_list("id", flat=True)) == ids_before


def test_non_text_edit_does_not_reindex_but_invalidates_cached_searches(
    document, django_capture_on_commit_callbacks
):
    chunk_ids = set(document.chunks.values_list("id", flat=True))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        document.tags = ["new-tag"]
        document_save(document)

    assert callbacks == [bump_search_version]
    assert set(document.chunks.values_list("id", flat=True)) == chunk_ids


def test_embedding_failure_marks_the_document_failed_and_keeps_old_chunks(document, monkeypatch):
    ids_before = set(document.chunks.values_list("id", flat=True))
    Document.objects.filter(pk=document.pk).update(body=BODY + "\n\nMore text.")

    def broken(texts):
        raise RuntimeError("model exploded")

    monkeypatch.setattr(indexing, "embed_texts", broken)
    outcome = reindex_document(document.pk)

    document.refresh_from_db()
    assert outcome.status == "failed"
    assert document.index_status == Document.IndexStatus.FAILED
    assert "model exploded" in document.index_error
    assert set(document.chunks.values_list("id", flat=True)) == ids_before


def test_stale_content_is_not_swapped_in(document, monkeypatch):
    Document.objects.filter(pk=document.pk).update(body=BODY + "\n\nVersion two.")
    real_embed = indexing.embed_texts

    def embed_then_someone_edits(texts):
        vectors = real_embed(texts)
        Document.objects.filter(pk=document.pk).update(body=BODY + "\n\nVersion three.")
        return vectors

    monkeypatch.setattr(indexing, "embed_texts", embed_then_someone_edits)
    outcome = reindex_document(document.pk)

    assert outcome.status == "stale"
    assert not document.chunks.filter(text__contains="Version two").exists()


def test_chunks_of_another_embedding_model_are_never_searched_and_get_re_embedded(document):
    # Given chunks embedded by a model other than the configured one (EMBEDDING_BACKEND was switched)
    document.chunks.update(embedding_model="openai:text-embedding-3-small")
    Document.objects.filter(pk=document.pk).update(indexed_model="openai:text-embedding-3-small")

    # Then search ignores them, and the document is due for reindexing
    assert search_knowledge("which colours do widgets come in", k=3, document="widgets") == []
    assert document.pk in documents_needing_reindex()

    # When it is reindexed, its chunks are the current model's and searchable again
    assert reindex_document(document.pk).status == "indexed"
    assert set(document.chunks.values_list("embedding_model", flat=True)) == {"local:all-MiniLM-L6-v2"}
    found = search_knowledge("what colours are widgets", k=3, document="widgets")
    assert found[0].text == "Widgets are blue or green."
