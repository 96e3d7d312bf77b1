"""A real Celery worker (prefork pool, multiprocess metrics): the request id of the API request that
enqueued a task is on the task's log lines, the worker serves its own metrics, and its health check
answers for it and for no other worker."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from knowledge.models import Document
from knowledge.services import document_upsert
from testing.processes import BASE_DIR, free_port, start_celery_worker, stop_process, wait_for_worker

# The worker is another process: it sees only committed rows, so these tests really commit. They
# need no demo rows (emptied afterwards): each makes the document it edits.
pytestmark = pytest.mark.django_db(transaction=True)
WAIT_SECONDS = 90


def _wait_for(check: Callable[[], Any], what: str) -> Any:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def _log_entries(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]


def _metrics(url: str, **headers: str) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode()


@pytest.fixture
def refunds_document() -> Document:
    """A committed document, indexed inline: requested before the broker is switched on."""
    document, _ = document_upsert(slug="refunds", title="Refunds", body="# Refunds\n\nRefunds in 30 days.")
    return document


def test_task_logs_carry_the_request_id_and_the_worker_serves_its_metrics(
    refunds_document, staff_api_client, celery_broker, tmp_path
):
    # Given a committed document and a worker (two pool processes) serving metrics on a free port
    document = refunds_document
    port = free_port()
    log = tmp_path / "worker.log"
    worker = start_celery_worker(
        celery_broker,
        log,
        pool="prefork",
        extra_env={"WORKER_METRICS_PORT": str(port), "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "multiproc")},
    )
    try:
        wait_for_worker(worker, log)

        # When staff edit the document through the API
        response = staff_api_client.patch(
            f"/api/knowledge/documents/{document.slug}/",
            {"body": "# Refunds\n\nRefunds within 45 days."},
            format="json",
        )
        assert response.status_code == 200
        request_id = response["X-Request-ID"]
        _wait_for(
            lambda: Document.objects.get(pk=document.pk).index_status == Document.IndexStatus.INDEXED,
            "the worker to reindex the document",
        )

        # Then the worker's lines about that task are JSON and carry the request's id
        task_lines = _wait_for(
            lambda: [
                entry
                for entry in _log_entries(log)
                if entry.get("event") in {"task_started", "task_succeeded"} and entry.get("task_id")
            ],
            "the task's log lines",
        )
        assert {entry["request_id"] for entry in task_lines} == {request_id}
        assert "knowledge.tasks.reindex_document_task" in {entry.get("task") for entry in task_lines}

        # And the worker's own endpoint counts the reindex, from whichever pool process ran it
        status, body = _metrics(f"http://127.0.0.1:{port}/metrics")
        assert status == 200
        assert 'salesagent_reindex_tasks_total{outcome="indexed"} 1.0' in body
        assert 'salesagent_reindex_duration_seconds_count{outcome="indexed"} 1.0' in body
        # And refuses a request that came through a proxy
        assert _metrics(f"http://127.0.0.1:{port}/metrics", **{"X-Forwarded-For": "198.51.100.4"})[0] == 403
    finally:
        stop_process(worker)


def _health_check(broker_url: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "salesagent.worker_health"],
        cwd=BASE_DIR,
        env={**os.environ, "CELERY_BROKER_URL": broker_url, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_health_check_passes_for_this_hosts_worker_and_fails_for_a_missing_one(
    celery_worker, celery_broker
):
    healthy = _health_check(celery_broker)
    missing = _health_check(celery_broker, CELERY_WORKER_NAME="celery@no-such-host")

    assert healthy.returncode == 0, healthy.stderr
    assert missing.returncode == 1
    assert "celery@no-such-host did not answer a ping" in missing.stderr
