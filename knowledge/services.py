"""Writes to the knowledge base. Every path that changes a document goes through here."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from knowledge.indexing import document_content_hash
from knowledge.models import Document
from knowledge.tasks import reindex_document_task

EDITABLE_FIELDS = ("title", "category", "tags", "body", "source", "is_active")


def schedule_reindex(document_ids: Iterable[int], *, force: bool = False) -> None:
    """Enqueue reindex tasks once the current transaction commits (never for a rolled-back edit)."""
    for document_id in document_ids:
        transaction.on_commit(
            lambda document_id=document_id: reindex_document_task.delay(document_id, force=force)
        )


def _mark_pending_if_changed(document: Document) -> bool:
    new_hash = document_content_hash(document)
    changed = new_hash != document.indexed_hash
    document.content_hash = new_hash
    if changed:
        document.index_status = Document.IndexStatus.PENDING
    return changed


@transaction.atomic
def document_save(document: Document) -> Document:
    """Save a new or edited document and schedule its reindex if its text changed."""
    changed = _mark_pending_if_changed(document)
    document.save()
    if changed or document.index_status != Document.IndexStatus.INDEXED:
        schedule_reindex([document.pk])
    return document


@transaction.atomic
def document_upsert(*, slug: str, **fields: object) -> tuple[Document, bool]:
    """Create or update the document with ``slug``; returns (document, created)."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"unknown document fields: {sorted(unknown)}")
    document = Document.objects.select_for_update().filter(slug=slug).first()
    created = document is None
    if document is None:
        document = Document(slug=slug)
    for name, value in fields.items():
        setattr(document, name, value)
    return document_save(document), created
