"""Reindexing through a real broker and a real Celery worker process (Redis on 127.0.0.1)."""

from __future__ import annotations

import time

import pytest
import redis

from knowledge.models import Document
from knowledge.search import search_knowledge
from knowledge.services import document_upsert

# The worker is another process: it sees only committed rows, so these tests really commit.
pytestmark = pytest.mark.django_db(transaction=True)

WORKER_TIMEOUT = 90


def _wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + WORKER_TIMEOUT
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def refunds_document() -> Document:
    """A committed, indexed document (indexed inline: the broker is not switched on yet)."""
    document, _ = document_upsert(
        slug="refunds",
        title="Refunds",
        category="policies",
        body="# Refunds\n\n## Guarantee\nEvery plan has a 30-day money-back guarantee.",
    )
    document.refresh_from_db()
    assert document.index_status == Document.IndexStatus.INDEXED
    return document


def _texts(query: str, slug: str) -> str:
    return " ".join(result.text for result in search_knowledge(query, k=5, document=slug))


def test_api_edit_is_reindexed_by_the_worker(refunds_document, staff_api_client, celery_worker):
    # Given a document whose current text is indexed
    document = refunds_document
    assert "30-day money-back guarantee" in _texts("money-back guarantee", document.slug)

    # When staff edit it through the API
    response = staff_api_client.patch(
        f"/api/knowledge/documents/{document.slug}/",
        {"body": "# Refunds\n\n## Guarantee\nEvery plan has a 45-day money-back guarantee."},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["index_status"] == "pending"

    # Then the worker re-embeds it: search finds the new content and not the old
    _wait_for(
        lambda: Document.objects.get(pk=document.pk).index_status == Document.IndexStatus.INDEXED,
        "the worker to index the edited document",
    )
    found = _texts("money-back guarantee", document.slug)
    assert "45-day money-back guarantee" in found
    assert "30-day" not in found
    assert document.chunks.filter(text__contains="30-day").count() == 0


def test_edit_is_queued_on_the_broker_not_run_inline(refunds_document, staff_api_client, celery_broker):
    # Given a broker but no worker
    document = refunds_document
    queue = redis.Redis.from_url(celery_broker)

    # When staff edit the document
    staff_api_client.patch(
        f"/api/knowledge/documents/{document.slug}/",
        {"body": "# Refunds\n\nRefunds within 60 days."},
        format="json",
    )

    # Then the reindex waits on the broker and the document stays pending with its old chunks
    assert queue.llen("celery") == 1
    document.refresh_from_db()
    assert document.index_status == Document.IndexStatus.PENDING
    assert "30-day money-back guarantee" in _texts("money-back guarantee", document.slug)
