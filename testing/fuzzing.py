"""`make fuzz`: Schemathesis, every check, against a live gunicorn serving a scratch copy of the demo data.

The copy (``FUZZ_DATABASE``, made from the ``make demo`` database as a template) is dropped and made
again on every run, so fuzzed writes never touch the real tables. The key has every scope; throttles
are raised so the fuzzer exercises the endpoints rather than the rate limits (those have their own
tests). Examples per operation are bounded by ``FUZZ_EXAMPLES`` so the run stays under ten minutes.
Exit status: Schemathesis's (0 when no server error and no schema violation was found).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psycopg

from salesagent.embedded_db import ensure_embedded_server
from testing.processes import free_port

BASE_DIR = Path(__file__).resolve().parent.parent
FUZZ_DATABASE = "salesagent_fuzz"
SOURCE_DATABASE = os.environ.get("EMBEDDED_POSTGRES_DB", "salesagent")
START_TIMEOUT = 300


def fresh_database(data_dir: Path) -> None:
    """Drop the scratch database and copy it anew from the demo database."""
    with ensure_embedded_server(data_dir, database=SOURCE_DATABASE).connect() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{FUZZ_DATABASE}" WITH (FORCE)')
        try:
            conn.execute(f'CREATE DATABASE "{FUZZ_DATABASE}" TEMPLATE "{SOURCE_DATABASE}"')
        except psycopg.errors.ObjectInUse as exc:
            raise SystemExit(
                f"cannot copy {SOURCE_DATABASE!r} while something uses it (stop `make run`): {exc}"
            ) from exc


def _wait_ready(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=5) as reply:
                if reply.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"gunicorn did not become ready:\n{log.read_text()[-4000:]}")


def _seed(url: str, key: str, env: dict[str, str]) -> dict[str, int]:
    """A conversation (with its draft and any proposals) and an evaluation run, so operations on one of
    them have an id that exists."""
    run_id = (
        subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", SEED_EVAL_RUN],
            cwd=BASE_DIR,
            env={**env, "WARM_UP": "false"},
            capture_output=True,
            text=True,
            check=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    request = urllib.request.Request(
        f"{url}/api/process_message",
        data=json.dumps({"current_prospect_message": "How much is it per month?"}).encode(),
        headers={"Authorization": f"Token {key}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=60) as reply:
        conversation_id = json.load(reply)["conversation_id"]
    ids = {"conversation": int(conversation_id), "run": int(run_id)}
    # The turn's draft awaits review, and its next steps may have proposed CRM changes.
    for name, listing in (
        ("draft", "/api/reviews/"),
        ("proposal", f"/api/proposals/?conversation={conversation_id}"),
    ):
        listed = urllib.request.Request(f"{url}{listing}", headers={"Authorization": f"Token {key}"})
        with urllib.request.urlopen(listed, timeout=30) as reply:
            results = json.load(reply)["results"]
        if results:
            ids[name] = int(results[0]["id"])
    return ids


SEED_EVAL_RUN = (
    "from django.utils import timezone; from evaluation.models import EvalRun; "
    "print(EvalRun.objects.create(dataset_name='fuzz', dataset_hash='0' * 64, brain='local', "
    "started_at=timezone.now()).pk)"
)


def _config(ids: dict[str, int], path: Path) -> Path:
    """The project's schemathesis.toml plus the seeded ids for the operations that take them."""
    blocks = [(BASE_DIR / "schemathesis.toml").read_text()]
    seeded_paths = {
        "conversation": "/api/conversations/{id}",
        "run": "/api/evaluation/runs/{id}",
        "draft": "/api/reviews/{id}",
        "proposal": "/api/proposals/{id}",
    }
    for name, seeded in ids.items():
        prefix = seeded_paths[name]
        blocks.append(
            f'\n[[operations]]\ninclude-path-regex = "^{prefix}"\nparameters = {{ "path.id" = {seeded} }}\n'
        )
    path.write_text("".join(blocks))
    return path


def main() -> int:
    data_dir = Path(os.environ.get("EMBEDDED_POSTGRES_DIR", BASE_DIR / "var" / "pgdata")).resolve()
    if os.environ.get("DATABASE_URL"):
        raise SystemExit("make fuzz uses the embedded Postgres; unset DATABASE_URL")
    fresh_database(data_dir)
    report_dir = BASE_DIR / "var" / "fuzz"
    report_dir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "EMBEDDED_POSTGRES_DIR": str(data_dir),
        "EMBEDDED_POSTGRES_DB": FUZZ_DATABASE,
        "AGENT_BRAIN": "local",
        "CELERY_BROKER_URL": "",
        "SECURE_HTTPS": "false",
        "THROTTLE_TURNS": "100000/min",
        "THROTTLE_READS": "100000/min",
        "THROTTLE_WRITES": "100000/min",
    }
    manage = [sys.executable, "manage.py"]
    key = subprocess.run(
        [*manage, "create_api_token", "fuzzer", "--staff"],
        cwd=BASE_DIR,
        env={**env, "WARM_UP": "false"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = report_dir / "gunicorn.log"
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn", "salesagent.wsgi:application"),
            *("--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "4", "--timeout", "120"),
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_ready(url, server, log)
        config = _config(_seed(url, key, env), report_dir / "schemathesis.toml")
        command = [
            str(Path(sys.executable).parent / "st"),
            "--config-file",
            str(config),
            "run",
            f"{url}/api/schema/?format=json",
            "--checks",
            "all",
            "--header",
            f"Authorization: Token {key}",
            "--max-examples",
            os.environ.get("FUZZ_EXAMPLES", "30"),
            "--seed",
            os.environ.get("FUZZ_SEED", "20261125"),
            # One worker: Hypothesis parses lambdas with `ast`, which is not thread-safe on Python 3.11.
            "--workers",
            "1",
            "--request-timeout",
            "60",
            "--report",
            "junit",
            "--report-dir",
            str(report_dir),
            "--no-color",
        ]
        started = time.monotonic()
        result = subprocess.run(command, cwd=BASE_DIR, check=False)
        print(f"schemathesis finished in {time.monotonic() - started:.0f} s (exit {result.returncode})")
        return result.returncode
    finally:
        server.terminate()
        server.wait(timeout=60)


if __name__ == "__main__":
    sys.exit(main())
