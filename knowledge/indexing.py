"""Reindexing: turn a document's current text into embedded, full-text-indexed chunks."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import connection, models, transaction
from django.utils import timezone

from knowledge.chunking import chunk_markdown
from knowledge.embeddings import EmbeddingUnavailable, content_hash, embed_texts, embedding_model_name
from knowledge.index_version import bump_search_version
from knowledge.languages import DEFAULT_LANGUAGE, text_search_config
from knowledge.models import Chunk, Document

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReindexOutcome:
    document_id: int
    status: str  # "indexed" | "unchanged" | "stale" | "failed" | "missing"
    chunk_count: int = 0
    error: str = ""


def document_content_hash(document: Document) -> str:
    """Hash of everything that shapes a document's chunks (title leads every heading path; the
    language picks the full-text configuration)."""
    # English, the default, adds nothing, so documents indexed before languages existed keep their
    # hash and are not re-embedded; any change of language still changes the hash.
    if document.language == DEFAULT_LANGUAGE:
        return content_hash(document.title, document.body)
    return content_hash(document.title, document.body, document.language)


def _update_search_vectors(document_id: int, *, language: str) -> None:
    # Headings (title and section path) weigh more than the body text when ranking matches. The
    # configuration is the document's language, so Spanish text gets Spanish stemming and stop words.
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE knowledge_chunk
            SET search_vector = setweight(to_tsvector(%s::regconfig, coalesce(heading_path, '')), 'A')
                             || setweight(to_tsvector(%s::regconfig, text), 'B')
            WHERE document_id = %s
            """,
            [text_search_config(language), text_search_config(language), document_id],
        )


def reindex_document(document_id: int, *, force: bool = False) -> ReindexOutcome:
    """Re-chunk and re-embed a document if its content or the embedding model changed.

    Embedding happens outside any transaction; the swap of old chunks for new ones happens in one
    transaction under a row lock, and only if the document still has the content that was embedded
    (a newer edit wins and schedules its own reindex). Until the swap commits, the old chunks stay
    searchable.
    """
    document = Document.objects.filter(pk=document_id).first()
    if document is None:
        return ReindexOutcome(document_id, "missing")
    model_name = embedding_model_name()
    current_hash = document_content_hash(document)
    if (
        not force
        and document.index_status == Document.IndexStatus.INDEXED
        and document.indexed_hash == current_hash
        and document.indexed_model == model_name
    ):
        return ReindexOutcome(document_id, "unchanged", document.chunks.count())

    drafts = chunk_markdown(document.body, title=document.title)
    try:
        vectors = embed_texts([draft.embedding_text for draft in drafts])
    except EmbeddingUnavailable as exc:
        # Transient: the task retries; the document stays pending, the reason visible to staff.
        logger.warning("embedding unavailable for document %s; will retry: %s", document_id, exc)
        Document.objects.filter(pk=document_id).update(index_error=f"retrying: {exc}"[:2000])
        raise
    except Exception as exc:  # any other backend failure is recorded on the document, not raised to staff
        logger.exception("embedding failed for document %s", document_id)
        document_mark_failed(document_id, str(exc))
        return ReindexOutcome(document_id, "failed", error=str(exc))

    with transaction.atomic():
        locked = Document.objects.select_for_update().filter(pk=document_id).first()
        if locked is None:
            return ReindexOutcome(document_id, "missing")
        if document_content_hash(locked) != current_hash:
            return ReindexOutcome(document_id, "stale")
        locked.chunks.all().delete()
        Chunk.objects.bulk_create(
            Chunk(
                document=locked,
                ordinal=draft.ordinal,
                heading_path=draft.heading_path[:500],
                text=draft.text,
                embedding=vector,
                embedding_model=model_name,
            )
            for draft, vector in zip(drafts, vectors, strict=True)
        )
        _update_search_vectors(document_id, language=locked.language)
        transaction.on_commit(bump_search_version)
        Document.objects.filter(pk=document_id).update(
            content_hash=current_hash,
            indexed_hash=current_hash,
            indexed_model=model_name,
            index_status=Document.IndexStatus.INDEXED,
            index_error="",
            indexed_at=timezone.now(),
        )
    return ReindexOutcome(document_id, "indexed", len(drafts))


def document_mark_failed(document_id: int, error: str) -> None:
    """Record that a document could not be indexed (staff see the error; `reindex_knowledge` retries)."""
    Document.objects.filter(pk=document_id).update(
        index_status=Document.IndexStatus.FAILED, index_error=error[:2000]
    )


def documents_needing_reindex() -> list[int]:
    """Ids of documents whose chunks are missing, failed, stale or from another embedding model."""
    model_name = embedding_model_name()
    return [
        document.pk
        for document in Document.objects.only(
            "id", "title", "body", "language", "indexed_hash", "indexed_model", "index_status"
        )
        if document.index_status != Document.IndexStatus.INDEXED
        or document.indexed_model != model_name
        or document.indexed_hash != document_content_hash(document)
    ]


def index_progress() -> dict[str, int]:
    """How far the index is: documents per status, share indexed, and chunks (for the admin)."""
    by_status = dict(
        Document.objects.values_list("index_status").annotate(count=models.Count("id")).order_by()
    )
    total = sum(by_status.values())
    indexed = by_status.get(Document.IndexStatus.INDEXED, 0)
    return {
        "total": total,
        "indexed": indexed,
        "pending": by_status.get(Document.IndexStatus.PENDING, 0),
        "failed": by_status.get(Document.IndexStatus.FAILED, 0),
        "percent": round(100 * indexed / total) if total else 100,
        "chunks": Chunk.objects.count(),
    }
