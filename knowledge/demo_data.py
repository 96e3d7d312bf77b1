"""The demo knowledge base, shipped as Markdown files in ``knowledge/demo/``.

The English originals sit in the folder itself; their translations in ``<language>/`` subfolders,
each file naming its original in ``translation_of:`` front matter.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db import transaction

from knowledge.ingestion import read_document_file
from knowledge.languages import DEFAULT_LANGUAGE
from knowledge.models import Document
from knowledge.services import document_upsert
from salesagent.demo import DemoLoadReport

DEMO_DIR = Path(__file__).resolve().parent / "demo"


def demo_document_files(directory: Path = DEMO_DIR) -> list[Path]:
    """The Markdown files of a demo company's folder, originals first so every translation's original
    exists when it loads."""
    return sorted(directory.glob("*.md")) + sorted(directory.glob("*/*.md"))


@transaction.atomic
def load_demo_documents(*, reset: bool = False, directory: Path = DEMO_DIR) -> DemoLoadReport:
    """Create the demo documents (of ``directory``, default the demo's) that are missing; with
    ``reset``, also restore edited ones.

    A restored document whose text is back to what was indexed is not re-embedded.
    """
    report = DemoLoadReport()
    for path in demo_document_files(directory):
        parsed = read_document_file(path)
        original = Document.objects.get(slug=parsed.translation_of) if parsed.translation_of else None
        fields: dict[str, Any] = {
            "title": parsed.title,
            "body": parsed.body,
            "category": parsed.category,
            "tags": parsed.tags,
            "language": parsed.language or DEFAULT_LANGUAGE,
            "translation_of": original,
            "source": f"demo/{path.relative_to(directory).as_posix()}",
            "is_active": True,
        }
        existing = Document.objects.filter(slug=parsed.slug).first()
        differs = existing is not None and any(getattr(existing, k) != v for k, v in fields.items())
        if existing is None or (differs and reset):
            document_upsert(slug=parsed.slug, **fields)
        report.record(parsed.slug, created=existing is None, differs=differs, reset=reset)
    return report
