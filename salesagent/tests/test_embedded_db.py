"""The embedded PostgreSQL's lifecycle: settings start nothing; every crash leaves a state it recovers from.

Each test runs its own server in its own data directory under ``var/`` (as root the server runs as
another user, which must reach the directory; pytest's temporary directories are private to root).
Clusters are copied from one made per module, so only that one pays for ``initdb``.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from django.conf import settings

from salesagent.embedded_db import (
    embedded_database_settings,
    embedded_server_status,
    ensure_embedded_server,
    server_address,
    stop_embedded_server,
)

VAR = Path(settings.BASE_DIR) / "var"


def _remove(data_dir: Path) -> None:
    stop_embedded_server(data_dir)
    for path in data_dir.parent.glob(f"{data_dir.name}*"):
        shutil.rmtree(path, ignore_errors=True)
    (data_dir.parent / f".{data_dir.name}.lock").unlink(missing_ok=True)


def _postmasters(data_dir: Path) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["name", "cmdline"]):
        cmdline = process.info["cmdline"] or []
        if process.info["name"] == "postgres" and str(data_dir) in cmdline:
            found.append(process)
    return found


def _answers(data_dir: Path) -> bool:
    try:
        with server_address(data_dir).connect() as conn:
            return conn.execute("SELECT 1").fetchone() == (1,)
    except Exception:
        return False


def _python(code: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=settings.BASE_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **kwargs,
    )


def _ensure_in_a_process(data_dir: Path) -> subprocess.Popen:
    return _python(
        f"""
        from pathlib import Path
        from salesagent.embedded_db import ensure_embedded_server
        address = ensure_embedded_server(Path({str(data_dir)!r}), database="scratch")
        with address.connect("scratch") as conn:
            print("answered", conn.execute("SELECT 1").fetchone()[0])
        """
    )


@pytest.fixture(scope="module")
def template_cluster() -> Iterator[Path]:
    """A stopped, initialised cluster to copy (``cp -a`` keeps the server user's ownership)."""
    data_dir = VAR / f"embedded-template-{os.getpid()}"
    _remove(data_dir)
    ensure_embedded_server(data_dir)
    assert stop_embedded_server(data_dir)
    yield data_dir
    _remove(data_dir)


@pytest.fixture
def data_dir(request) -> Iterator[Path]:
    """A data directory of this test's own (empty), removed afterwards with its server stopped."""
    path = VAR / f"embedded-{os.getpid()}-{request.node.name[:40]}"
    _remove(path)
    yield path
    _remove(path)


@pytest.fixture
def stopped_cluster(template_cluster, data_dir) -> Path:
    subprocess.run(["cp", "-a", str(template_cluster), str(data_dir)], check=True)
    return data_dir


def test_importing_settings_starts_nothing(data_dir):
    # Given a data directory that does not exist
    # When a process imports the settings and sets Django up (as mypy's plugin and `manage.py check` do)
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.DATABASES['default']['HOST'])",
        ],
        cwd=settings.BASE_DIR,
        env={
            **os.environ,
            "EMBEDDED_POSTGRES_DIR": str(data_dir),
            "DJANGO_SETTINGS_MODULE": "salesagent.settings",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )

    # Then the settings name the server's socket, but no directory was made and no server started
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(server_address(data_dir).socket_dir)
    assert not data_dir.exists()
    assert _postmasters(data_dir) == []


def test_manage_py_starts_the_server_only_for_a_command_that_uses_the_database(data_dir):
    env = {**os.environ, "EMBEDDED_POSTGRES_DIR": str(data_dir), "EMBEDDED_POSTGRES_DB": "managed"}
    manage = [sys.executable, "manage.py"]

    # When a command that needs no database runs
    check = subprocess.run([*manage, "check"], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True)

    # Then nothing was started
    assert check.returncode == 0, check.stderr
    assert not data_dir.exists()

    # When one that queries the database runs
    query = subprocess.run(
        [
            *manage,
            "shell",
            "-c",
            "from django.db import connection; print(connection.cursor().connection.info.dbname)",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )

    # Then the server was started first, with the configured database in it
    assert query.returncode == 0, query.stderr
    assert query.stdout.strip().splitlines()[-1] == "managed"
    assert embedded_server_status(data_dir) == "running"


def test_settings_point_at_a_short_socket_directory_when_the_data_directory_path_is_too_long():
    deep = Path("/work") / ("d" * 120) / "pgdata"

    database = embedded_database_settings(deep, name="x")

    # Then the socket lives in a directory of its own, named after the path (stable across processes)
    assert database["HOST"].startswith("/tmp/salesagent-pg-")
    assert database["HOST"] == str(server_address(deep).socket_dir)
    assert len(database["HOST"]) + len("/.s.PGSQL.5432") <= 107
    assert embedded_database_settings(VAR / "pgdata")["HOST"] == str(VAR / "pgdata")


@pytest.mark.parametrize("pid_file", [b"", b"\x00\x00garbage\nnot a pid\n"], ids=["empty", "garbled"])
def test_an_empty_or_garbled_state_file_does_not_stop_the_next_start(stopped_cluster, pid_file):
    # Given a stopped cluster whose postmaster.pid and the wheel's old handle registry were half-written
    (stopped_cluster / "postmaster.pid").write_bytes(pid_file)
    (stopped_cluster / ".handle_pids.json").write_bytes(b"")

    # When a process needs the server
    ensure_embedded_server(stopped_cluster)

    # Then it answers, and the dead files are gone
    assert _answers(stopped_cluster)
    assert not (stopped_cluster / ".handle_pids.json").exists()
    assert (
        int((stopped_cluster / "postmaster.pid").read_text().splitlines()[0])
        == _postmasters(stopped_cluster)[0].pid
    )


def test_a_stale_postmaster_pid_after_a_power_cut_is_recovered(stopped_cluster):
    # Given the files a server leaves when the power goes: postmaster.pid naming a pid that now belongs
    # to another process, and the socket's lock file
    unrelated = subprocess.Popen(["sleep", "60"])
    try:
        socket_dir = server_address(stopped_cluster).socket_dir
        (stopped_cluster / "postmaster.pid").write_text(
            f"{unrelated.pid}\n{stopped_cluster}\n1700000000\n5432\n{socket_dir}\n\n  5432001  3\nready   \n"
        )
        (socket_dir / ".s.PGSQL.5432.lock").write_text(
            f"{unrelated.pid}\n{stopped_cluster}\n1700000000\n5432\n"
        )

        # When a process needs the server
        ensure_embedded_server(stopped_cluster)

        # Then it started (the unrelated process untouched)
        assert _answers(stopped_cluster)
        assert unrelated.poll() is None
    finally:
        unrelated.kill()
        unrelated.wait()


def test_a_process_killed_while_it_initialises_the_cluster_leaves_nothing_in_the_way(data_dir):
    # Given a process that dies (SIGKILL) in the middle of initdb
    dying = _ensure_in_a_process(data_dir)
    deadline = time.monotonic() + 60
    while not list(data_dir.parent.glob(f"{data_dir.name}.initdb*/base")) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert list(data_dir.parent.glob(f"{data_dir.name}.initdb*")), "initdb never started"
    dying.kill()
    dying.wait()
    assert not (data_dir / "PG_VERSION").exists()

    # When the next command needs the server
    survivor = _ensure_in_a_process(data_dir)
    output, _ = survivor.communicate(timeout=180)

    # Then it answers from a complete cluster, and the interrupted attempt was cleaned away
    assert survivor.returncode == 0, output
    assert "answered 1" in output
    assert len([p for p in _postmasters(data_dir) if p.parent().name() != "postgres"]) == 1
    deadline = time.monotonic() + 60  # the orphaned initdb may still be writing; it is removed next time
    while list(data_dir.parent.glob(f"{data_dir.name}.initdb*")) and time.monotonic() < deadline:
        stop_embedded_server(data_dir)
        ensure_embedded_server(data_dir)
        time.sleep(0.5)
    assert not list(data_dir.parent.glob(f"{data_dir.name}.initdb*"))


def test_a_process_killed_while_it_starts_the_server_leaves_a_server_the_next_one_uses(stopped_cluster):
    # Given a process killed (SIGKILL) once the server it started has written postmaster.pid
    dying = _ensure_in_a_process(stopped_cluster)
    deadline = time.monotonic() + 60
    while not (stopped_cluster / "postmaster.pid").exists() and time.monotonic() < deadline:
        time.sleep(0.005)
    dying.send_signal(signal.SIGKILL)
    dying.wait()

    # When the next command needs the server
    survivor = _ensure_in_a_process(stopped_cluster)
    output, _ = survivor.communicate(timeout=120)

    # Then it answers, with one server for the directory (not a second one started beside it)
    assert survivor.returncode == 0, output
    assert "answered 1" in output
    assert len([p for p in _postmasters(stopped_cluster) if p.parent().name() != "postgres"]) == 1


def test_eight_commands_started_at_once_share_one_new_server(data_dir):
    # Given no cluster at all
    # When eight processes that need the server start in the same instant
    processes = [_ensure_in_a_process(data_dir) for _ in range(8)]
    outputs = [process.communicate(timeout=240)[0] for process in processes]

    # Then every one was answered by the same, single server
    assert [process.returncode for process in processes] == [0] * 8, outputs
    assert all("answered 1" in output for output in outputs)
    assert len([p for p in _postmasters(data_dir) if p.parent().name() != "postgres"]) == 1


def test_a_directory_that_is_not_a_cluster_is_set_aside_not_deleted(data_dir):
    # Given a data directory with files in it but no cluster (an old interrupted initdb)
    data_dir.mkdir(parents=True)
    (data_dir / "base").mkdir()
    (data_dir / "notes.txt").write_text("keep me")

    # When a process needs the server
    ensure_embedded_server(data_dir)

    # Then a new cluster answers, and the old files were moved aside, not removed
    assert _answers(data_dir)
    aside = list(data_dir.parent.glob(f"{data_dir.name}.incomplete-*"))
    assert len(aside) == 1
    assert (aside[0] / "notes.txt").read_text() == "keep me"


def test_stop_then_status(stopped_cluster):
    ensure_embedded_server(stopped_cluster, database="stats")
    assert embedded_server_status(stopped_cluster) == "running"
    with server_address(stopped_cluster).connect() as conn:
        assert conn.execute("SELECT 1 FROM pg_database WHERE datname = 'stats'").fetchone() == (1,)

    assert stop_embedded_server(stopped_cluster) is True

    assert embedded_server_status(stopped_cluster) == "stopped"
    assert _postmasters(stopped_cluster) == []
    assert stop_embedded_server(stopped_cluster) is False
