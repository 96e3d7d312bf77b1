"""Writes to the knowledge base. Every path that changes a document goes through here.

Writes need ``knowledge:write``: the API passes the caller's access, the admin its staff user's;
in-process callers (commands, the demo loader) act as ``SYSTEM``, the default.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from apikeys.access import SYSTEM, Access, Scope
from knowledge.index_version import bump_search_version
from knowledge.indexing import document_content_hash
from knowledge.ingestion import ParsedDocument, UnreadableDocument, iter_document_files, read_document_file
from knowledge.languages import DEFAULT_LANGUAGE
from knowledge.models import Document
from knowledge.tasks import reindex_document_task

EDITABLE_FIELDS = ("title", "category", "tags", "body", "source", "is_active", "language", "translation_of")


def schedule_reindex(document_ids: Iterable[int], *, force: bool = False) -> None:
    """Enqueue reindex tasks once the current transaction commits (never for a rolled-back edit)."""
    for document_id in document_ids:
        # robust: a broker outage (or an inline task failing) must not fail the committed edit; the
        # document stays pending and `reindex_knowledge` picks it up.
        transaction.on_commit(partial(reindex_document_task.delay, document_id, force=force), robust=True)


def _mark_pending_if_changed(document: Document) -> bool:
    new_hash = document_content_hash(document)
    changed = new_hash != document.indexed_hash
    document.content_hash = new_hash
    if changed:
        document.index_status = Document.IndexStatus.PENDING
    return changed


@transaction.atomic
def document_save(document: Document, *, access: Access = SYSTEM) -> Document:
    """Save a new or edited document and schedule its reindex if its text changed."""
    access.require(Scope.KNOWLEDGE_WRITE)
    changed = _mark_pending_if_changed(document)
    document.save()
    if changed or document.index_status != Document.IndexStatus.INDEXED:
        schedule_reindex([document.pk])
    else:
        # Category, tags or activity may have changed: cached search results must not outlive that.
        transaction.on_commit(bump_search_version)
    return document


@transaction.atomic
def document_delete(*, document: Document, access: Access = SYSTEM) -> None:
    """Delete a document and its chunks; cached search results are dropped on commit."""
    access.require(Scope.KNOWLEDGE_WRITE)
    document.delete()
    transaction.on_commit(bump_search_version)


@transaction.atomic
def document_upsert(*, slug: str, access: Access = SYSTEM, **fields: object) -> tuple[Document, bool]:
    """Create or update the document with ``slug``; returns (document, created).

    ``translation_of`` is the original :class:`Document` (or None). A translation that is not
    linked to an original in another language raises :class:`ValidationError`; nothing is written.
    """
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"unknown document fields: {sorted(unknown)}")
    document = Document.objects.select_for_update().filter(slug=slug).first()
    created = document is None
    if document is None:
        document = Document(slug=slug)
    for name, value in fields.items():
        setattr(document, name, value)
    document.clean()
    return document_save(document, access=access), created


@dataclass
class IngestReport:
    """What an import did, file by file."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.created) + len(self.updated) + len(self.unchanged) + len(self.failed)


IngestProgress = Callable[[Path, str, str], None]


def _original(parsed: ParsedDocument) -> Document | None:
    if not parsed.translation_of:
        return None
    original = Document.objects.filter(slug=parsed.translation_of).first()
    if original is None:
        raise UnreadableDocument(f"translation_of {parsed.translation_of!r}: no document has that slug")
    return original


def _document_fields(parsed: ParsedDocument, existing: Document | None, source: str) -> dict[str, object]:
    fields: dict[str, object] = {"title": parsed.title, "body": parsed.body, "source": source}
    # Plain text and HTML carry no category, tags or language: keep what staff set on an existing
    # document (a new one is English unless its front matter says otherwise).
    if parsed.category or existing is None:
        fields["category"] = parsed.category
    if parsed.tags or existing is None:
        fields["tags"] = parsed.tags
    if parsed.language or existing is None:
        fields["language"] = parsed.language or DEFAULT_LANGUAGE
    if parsed.translation_of:
        fields["translation_of"] = _original(parsed)
    return fields


def document_ingest(*, parsed: ParsedDocument, source: str) -> str:
    """Upsert the document a parsed file describes; returns created/updated/unchanged.

    Raises :class:`UnreadableDocument` for a document that cannot be stored (its ``translation_of``
    names no document, or not a valid original); nothing is written then.
    """
    existing = Document.objects.filter(slug=parsed.slug).first()
    fields = _document_fields(parsed, existing, source=source)
    if existing is not None and all(getattr(existing, name) == value for name, value in fields.items()):
        return "unchanged"
    try:
        _, created = document_upsert(slug=parsed.slug, access=SYSTEM, **fields)
    except ValidationError as exc:
        raise UnreadableDocument("; ".join(exc.messages)) from exc
    return "created" if created else "updated"


def document_ingest_file(*, path: Path) -> str:
    """Upsert the document a file describes (slug from the file name); returns created/updated/unchanged.

    Raises :class:`UnreadableDocument` for a file that cannot be used; nothing is written then.
    """
    return document_ingest(parsed=read_document_file(path), source=str(path))


def documents_ingest(*, paths: Iterable[Path], progress: IngestProgress | None = None) -> IngestReport:
    """Import every file (folders recursively); a bad file is reported and the rest still imported.

    Every file is read first, then originals are stored before translations, so a translation's
    ``translation_of`` resolves to an original imported in the same run wherever its file sorts.
    """
    report = IngestReport()

    def record(path: Path, outcome: str, detail: str = "") -> None:
        if outcome == "failed":
            report.failed.append((str(path), detail))
        else:
            getattr(report, outcome).append(str(path))
        if progress:
            progress(path, outcome, detail)

    readable: list[tuple[Path, ParsedDocument]] = []
    for path in iter_document_files(paths):
        try:
            readable.append((path, read_document_file(path)))
        except UnreadableDocument as exc:
            record(path, "failed", str(exc))
    for path, parsed in sorted(readable, key=lambda item: bool(item[1].translation_of)):
        try:
            record(path, document_ingest(parsed=parsed, source=str(path)))
        except UnreadableDocument as exc:
            record(path, "failed", str(exc))
    return report
