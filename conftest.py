"""Project-wide test fixtures: demo data in the test database, API clients, and real background services.

``redis_url`` starts a private Redis server on a free loopback port and ``celery_worker`` a real
Celery worker process consuming from it against the test database, for the tests that must prove
work really goes through the broker.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from salesagent.celery import app as celery_app

BASE_DIR = Path(__file__).resolve().parent
SERVICE_START_TIMEOUT = 60


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the demo knowledge base, prospects and intents once per test session."""
    with django_db_blocker.unblock():
        call_command("load_demo", verbosity=0)


@pytest.fixture
def api_user(django_user_model):
    return django_user_model.objects.create_user(username="api-user", password="not-used-here")


@pytest.fixture
def api_client(api_user) -> APIClient:
    token = Token.objects.create(user=api_user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def staff_api_client(django_user_model) -> APIClient:
    staff = django_user_model.objects.create_user(username="staff-user", password="not-used", is_staff=True)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=staff).key}")
    return client


@pytest.fixture
def anonymous_client() -> APIClient:
    return APIClient()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until(check, what: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVICE_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited early:\n{log.read_text()[-3000:]}")
        if check():
            return
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not become ready:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory) -> Iterator[str]:
    """A private Redis server for this test session (``make test`` installs redis-server)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not installed; `make test` installs it (see Makefile: services)")
    workdir = tmp_path_factory.mktemp("redis")
    port = _free_port()
    log = workdir / "redis.log"
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=workdir,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)

    def ready() -> bool:
        try:
            return bool(client.ping())
        except redis.ConnectionError:
            return False

    try:
        _wait_until(ready, "redis-server", process, log)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def start_celery_worker(broker_url: str, log: Path, *, extra_env: dict[str, str] | None = None):
    """Start ``celery worker`` as a separate process on the test database; returns the process."""
    database = connection.settings_dict
    env = {
        **os.environ,
        "CELERY_BROKER_URL": broker_url,
        "EMBEDDED_POSTGRES_DIR": str(settings.EMBEDDED_POSTGRES_DIR),
        "EMBEDDED_POSTGRES_DB": database["NAME"],
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

    _wait_until(ready, "celery worker", process, log)


def _reset_broker_connections() -> None:
    # Celery caches its connection and producer pools for the first broker URL it saw; a test that
    # switches brokers must drop them, or publishing goes to the old (default) broker.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def celery_broker(redis_url) -> Iterator[str]:
    """Route this test's tasks through the real broker instead of running them inline."""
    previous = (celery_app.conf.broker_url, celery_app.conf.task_always_eager)
    celery_app.conf.broker_url = redis_url
    celery_app.conf.task_always_eager = False
    _reset_broker_connections()
    redis.Redis.from_url(redis_url).flushdb()
    try:
        yield redis_url
    finally:
        celery_app.conf.broker_url, celery_app.conf.task_always_eager = previous
        _reset_broker_connections()


@pytest.fixture
def celery_worker(celery_broker, tmp_path) -> Iterator[subprocess.Popen]:
    """A real Celery worker process consuming from ``celery_broker`` against the test database."""
    log = tmp_path / "worker.log"
    process = start_celery_worker(celery_broker, log)
    try:
        wait_for_worker(process, log)
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
