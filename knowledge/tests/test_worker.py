"""Reindexing through a real broker and a real Celery worker process (Redis on 127.0.0.1)."""

from __future__ import annotations

import signal
import time

import pytest
import redis

from knowledge.models import Document
from knowledge.search import search_knowledge
from knowledge.services import document_upsert
from testing.processes import start_celery_worker, wait_for_worker

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


def _sections(version: str, count: int) -> str:
    return "# Manual\n\n" + "\n\n".join(
        f"## Step {n}\nStep {n} of the {version} manual explains one setting." for n in range(count)
    )


@pytest.fixture
def manual_document() -> Document:
    """A committed document indexed inline, before the broker is switched on."""
    document, _ = document_upsert(slug="manual", title="Manual", body=_sections("old", 5))
    return document


def test_worker_killed_mid_task_converges_on_redelivery(
    manual_document, staff_api_client, celery_broker, tmp_path
):
    # Given an indexed document whose next version takes a few seconds to embed
    document = manual_document
    assert document.chunks.count() == 5
    queue = redis.Redis.from_url(celery_broker)
    log = tmp_path / "worker.log"
    # Redelivery waits for the visibility timeout; keep it short so the test does not wait 10 minutes.
    fast_redelivery = {"CELERY_VISIBILITY_TIMEOUT": "2", "CELERY_RESTORE_INTERVAL": "1"}
    worker = start_celery_worker(celery_broker, log, extra_env=fast_redelivery)
    try:
        wait_for_worker(worker, log)

        # When an edit is being reindexed and the worker dies before it acknowledges the task
        staff_api_client.patch(
            f"/api/knowledge/documents/{document.slug}/", {"body": _sections("new", 600)}, format="json"
        )
        _wait_for(lambda: queue.hlen("unacked") == 1, "the worker to take the task")
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)

        # Then nothing half-written is visible: the old chunks are still the index
        document.refresh_from_db()
        assert document.index_status == Document.IndexStatus.PENDING
        assert set(document.chunks.values_list("text", flat=True)) == {
            f"Step {n} of the old manual explains one setting." for n in range(5)
        }

        # And a new worker gets the task again and finishes it
        worker = start_celery_worker(celery_broker, log, extra_env=fast_redelivery)
        _wait_for(
            lambda: Document.objects.get(pk=document.pk).index_status == Document.IndexStatus.INDEXED,
            "the redelivered task to index the document",
        )
        texts = list(document.chunks.order_by("ordinal").values_list("text", flat=True))
        assert len(texts) == 600
        assert all(" new manual " in text for text in texts)
        assert queue.hlen("unacked") == 0
    finally:
        if worker.poll() is None:
            worker.terminate()
            worker.wait(timeout=20)
