"""Reads about the knowledge base for staff pages."""

from __future__ import annotations

import pytest

from knowledge.models import Document
from knowledge.selectors import index_status_summary

pytestmark = pytest.mark.django_db


def test_every_status_is_counted_and_failed_documents_are_listed_up_to_the_limit():
    # given: the demo's indexed documents, one pending and three failed
    Document.objects.create(slug="waiting", title="Waiting", body="x")
    for number in range(3):
        Document.objects.create(
            slug=f"broken-{number}", title=f"Broken {number}", body="x", index_status="failed"
        )
    indexed = Document.objects.filter(index_status="indexed").count()
    # when
    summary = index_status_summary(failed_limit=2)
    # then
    assert summary.counts == {"pending": 1, "indexed": indexed, "failed": 3}
    assert summary.total == Document.objects.count()
    assert summary.failed_count == 3
    assert len(summary.failed) == 2
    assert {document.index_status for document in summary.failed} == {"failed"}


def test_with_no_documents_nothing_was_ever_indexed():
    # given
    Document.objects.all().delete()
    # when
    summary = index_status_summary()
    # then
    assert summary.counts == {"pending": 0, "indexed": 0, "failed": 0}
    assert summary.last_indexed_at is None
    assert summary.failed == []
