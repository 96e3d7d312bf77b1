"""The demo knowledge base (Orbit Analytics), shipped as Markdown files in ``knowledge/demo/``."""

from __future__ import annotations

from pathlib import Path

from knowledge.ingestion import read_document_file
from knowledge.services import document_upsert

DEMO_DIR = Path(__file__).resolve().parent / "demo"


def load_demo_documents() -> tuple[int, int]:
    """Upsert every demo document by slug; returns (created, updated). Unchanged text is not reindexed."""
    created = updated = 0
    for path in sorted(DEMO_DIR.glob("*.md")):
        parsed = read_document_file(path)
        _, was_created = document_upsert(
            slug=parsed.slug,
            title=parsed.title,
            body=parsed.body,
            category=parsed.category,
            tags=parsed.tags,
            source=f"demo/{path.name}",
            is_active=True,
        )
        created += was_created
        updated += not was_created
    return created, updated
