"""Support for tests that need real processes: free ports, readiness waits and Celery workers.

Used by the project's pytest fixtures (``conftest.py``) and by tests that restart a worker.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from django.conf import settings
from django.db import connection

from salesagent.celery import app as celery_app

BASE_DIR = Path(__file__).resolve().parent.parent
SERVICE_START_TIMEOUT = 60
T = TypeVar("T")


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


def database_env_for_tests() -> dict[str, str]:
    """This process's environment, pointed at the test database (for server processes we start)."""
    database = connection.settings_dict
    env = {
        **os.environ,
        "EMBEDDED_POSTGRES_DIR": str(settings.EMBEDDED_POSTGRES_DIR),
        "EMBEDDED_POSTGRES_DB": database["NAME"],
        # Test workers start often and on data a test may have emptied; the first task loads what it needs.
        "WARM_UP": "false",
    }
    if os.environ.get("DATABASE_URL"):
        env["DATABASE_URL"] = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + f"/{database['NAME']}"
    return env


def start_celery_worker(
    broker_url: str, log: Path, *, extra_env: dict[str, str] | None = None, pool: str = "solo"
):
    """Start ``celery worker`` as a separate process on the test database; returns the process."""
    env = {**database_env_for_tests(), "CELERY_BROKER_URL": broker_url, **(extra_env or {})}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "salesagent",
            "worker",
            "--pool",
            pool,
            "--concurrency",
            "2",
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


def http_ok(url: str, *, timeout: float = 2.0) -> bool:
    """Whether ``url`` answers 2xx (readiness checks of servers we start)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return 200 <= response.status < 300
    except (OSError, ValueError):
        return False


def start_gunicorn(*, port: int, log: Path, extra_env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start the production web server (``gunicorn.conf.py``) on 127.0.0.1 against the test database."""
    env = {**database_env_for_tests(), "GUNICORN_BIND": f"127.0.0.1:{port}", **(extra_env or {})}
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "salesagent.wsgi:application"],
        cwd=BASE_DIR,
        env=env,
        stdout=log.open("a"),
        stderr=subprocess.STDOUT,
    )


def stop_process(process: subprocess.Popen, *, timeout: float = 20) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_committed(work: Callable[[], T]) -> T:
    """Run ``work`` on its own database connection, in autocommit, and return its result.

    A test's own connection is inside the transaction pytest-django rolls back, which a server
    process of ours cannot see; a thread gets its own connection, so what ``work`` writes is
    committed at once (and the caller must delete it again).
    """
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = work()
        except BaseException as exc:  # re-raised in the caller's thread
            outcome["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
