"""The demo knowledge base (Orbit Analytics), shipped as Markdown files in ``knowledge/demo/``."""

from __future__ import annotations

from pathlib import Path

from django.db import transaction

from knowledge.ingestion import read_document_file
from knowledge.models import Document
from knowledge.services import document_upsert
from salesagent.demo import DemoLoadReport

DEMO_DIR = Path(__file__).resolve().parent / "demo"


@transaction.atomic
def load_demo_documents(*, reset: bool = False) -> DemoLoadReport:
    """Create the demo documents that are missing; with ``reset``, also restore edited ones.

    A restored document whose text is back to what was indexed is not re-embedded.
    """
    report = DemoLoadReport()
    for path in sorted(DEMO_DIR.glob("*.md")):
        parsed = read_document_file(path)
        fields = {
            "title": parsed.title,
            "body": parsed.body,
            "category": parsed.category,
            "tags": parsed.tags,
            "source": f"demo/{path.name}",
            "is_active": True,
        }
        existing = Document.objects.filter(slug=parsed.slug).first()
        differs = existing is not None and any(getattr(existing, k) != v for k, v in fields.items())
        if existing is None or (differs and reset):
            document_upsert(slug=parsed.slug, **fields)
        report.record(parsed.slug, created=existing is None, differs=differs, reset=reset)
    return report
