"""Support for tests that need real processes: free ports, readiness waits and Celery workers.

Used by the project's pytest fixtures (``conftest.py``) and by tests that restart a worker.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import connection

from salesagent.celery import app as celery_app

BASE_DIR = Path(__file__).resolve().parent.parent
SERVICE_START_TIMEOUT = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(check: Callable[[], bool], what: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVICE_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited early:\n{log.read_text()[-3000:]}")
        if check():
            return
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not become ready:\n{log.read_text()[-3000:]}")


def start_celery_worker(broker_url: str, log: Path, *, extra_env: dict[str, str] | None = None):
    """Start ``celery worker`` as a separate process on the test database; returns the process."""
    database = connection.settings_dict
    env = {
        **os.environ,
        "CELERY_BROKER_URL": broker_url,
        "EMBEDDED_POSTGRES_DIR": str(settings.EMBEDDED_POSTGRES_DIR),
        "EMBEDDED_POSTGRES_DB": database["NAME"],
        # Test workers start often and on data a test may have emptied; the first task loads what it needs.
        "WARM_UP": "false",
        **(extra_env or {}),
    }
    if os.environ.get("DATABASE_URL"):
        env["DATABASE_URL"] = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + f"/{database['NAME']}"
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "salesagent",
            "worker",
            "--pool",
            "solo",
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "INFO",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=log.open("a"),
        stderr=subprocess.STDOUT,
    )


def wait_for_worker(process: subprocess.Popen, log: Path) -> None:
    def ready() -> bool:
        replies = celery_app.control.ping(timeout=0.5)
        return bool(replies)

    wait_until(ready, "celery worker", process, log)
