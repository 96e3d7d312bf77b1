"""Reindexing: edited documents are re-embedded, unchanged ones are not, failures are recorded."""

import contextlib

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from knowledge import indexing
from knowledge.index_version import bump_search_version
from knowledge.indexing import documents_needing_reindex, reindex_document
from knowledge.models import Chunk, Document
from knowledge.search import search_knowledge
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


def _lexemes(document: Document) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT unnest(tsvector_to_array(search_vector)) FROM knowledge_chunk "
            "WHERE document_id = %s",
            [document.pk],
        )
        return {lexeme for (lexeme,) in cursor.fetchall()}


def test_each_document_is_indexed_with_its_own_languages_text_search_configuration(
    django_capture_on_commit_callbacks,
):
    # Given an English document and its Spanish translation
    with django_capture_on_commit_callbacks(execute=True):
        english, _ = document_upsert(
            slug="zz-renewals", title="Renewals", body="## Cancelling\nAnnual plans are cancelled at renewal."
        )
        spanish, _ = document_upsert(
            slug="zz-renewals-es",
            title="Renovaciones",
            body="## Cancelar\nLos planes anuales se cancelan en la renovación.",
            language="es",
            translation_of=english,
        )

    # Then each chunk's tsvector was built with its language's stemmer and stop words
    assert {"cancel", "annual", "plan", "renew"} <= _lexemes(english)
    spanish_lexemes = _lexemes(spanish)
    assert {"cancel", "anual", "plan", "renov"} <= spanish_lexemes
    assert not {"los", "se", "en", "la"} & spanish_lexemes  # Spanish stop words
    assert spanish.translations.count() == 0
    assert list(english.translations.all()) == [spanish]


def test_changing_a_documents_language_reindexes_it_with_the_new_configuration(
    django_capture_on_commit_callbacks,
):
    # Given Spanish text stored as English (so English stemming kept Spanish stop words)
    with django_capture_on_commit_callbacks(execute=True):
        document, _ = document_upsert(
            slug="zz-idiomas", title="Idiomas", body="## Interfaz\nLa interfaz está disponible en alemán."
        )
    document.refresh_from_db()
    assert {"la", "en"} <= _lexemes(document)
    english_hash = document.indexed_hash

    # When staff correct the language
    with django_capture_on_commit_callbacks(execute=True):
        document_upsert(slug="zz-idiomas", language="es")

    # Then the changed language alone made it reindex, with Spanish stop words gone
    document.refresh_from_db()
    assert document.indexed_hash != english_hash
    assert document.index_status == Document.IndexStatus.INDEXED
    lexemes = _lexemes(document)
    assert not {"la", "en"} & lexemes
    assert {"interfaz", "dispon", "aleman"} <= lexemes


def test_a_translation_must_link_to_an_original_in_another_language(document):
    # Given an English original and a Spanish translation of it
    translation, _ = document_upsert(
        slug="widgets-es",
        title="Widgets",
        body="Los widgets son azules.",
        language="es",
        translation_of=document,
    )

    # Then neither a same-language link nor a translation of a translation is accepted
    with pytest.raises(ValidationError, match="another language"):
        document_upsert(slug="widgets-copy", title="W", body="Copy.", translation_of=document)
    with pytest.raises(ValidationError, match="original"):
        document_upsert(
            slug="widgets-pt", title="W", body="Azuis.", language="pt", translation_of=translation
        )
    assert not Document.objects.filter(slug__in=["widgets-copy", "widgets-pt"]).exists()
    # and an original with translations cannot become a translation itself
    with pytest.raises(ValidationError, match="must stay an original"):
        document_upsert(slug="widgets", language="de", translation_of=Document.objects.get(slug="free-trial"))
    document.refresh_from_db()
    assert (document.language, document.translation_of) == ("en", None)
