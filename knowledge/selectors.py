"""Reads about the knowledge base for staff pages: how far indexing has got, and what failed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Max

from knowledge.models import Document

# The staff home lists at most this many failed documents; the admin's status filter has the rest.
FAILED_DOCUMENTS_LISTED = 20


@dataclass(frozen=True)
class IndexStatusSummary:
    """Documents by index status (every status, zero counts included), and the latest indexing."""

    counts: dict[str, int]
    last_indexed_at: datetime | None
    failed: list[Document]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def failed_count(self) -> int:
        return self.counts.get(Document.IndexStatus.FAILED, 0)


def index_status_summary(*, failed_limit: int = FAILED_DOCUMENTS_LISTED) -> IndexStatusSummary:
    """Counts of documents per index status, the last time any was indexed, and the failed ones."""
    counts = dict.fromkeys(Document.IndexStatus.values, 0)
    for row in Document.objects.order_by().values("index_status").annotate(documents=Count("id")):
        counts[row["index_status"]] = row["documents"]
    last_indexed_at = Document.objects.aggregate(last=Max("indexed_at"))["last"]
    failed = list(
        Document.objects.filter(index_status=Document.IndexStatus.FAILED)
        .only("pk", "slug", "title", "index_error", "updated_at")
        .order_by("-updated_at")[:failed_limit]
    )
    return IndexStatusSummary(counts=counts, last_indexed_at=last_indexed_at, failed=failed)
