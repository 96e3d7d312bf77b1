"""Turn throughput benchmark: unique prospect messages through gunicorn and the real API, N at a time.

A gunicorn server, started as the image starts it (``gunicorn.conf.py``: multiprocess metrics, JSON
request logs), serves 127.0.0.1 against a scratch database of its own (``<database>_bench`` in the
embedded server, migrated and loaded with the demo), so benchmark conversations never mix with real
ones. After a warm-up that loads every worker's models, each client thread posts turns with messages
that are all different (no cache can answer them). The figures are throughput and latency percentiles
as the clients saw them, and the resident memory of gunicorn's processes at the end (what a web pod
needs). The clients and Postgres share the machine with gunicorn.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from testing.processes import free_port, stop_process

BASE_DIR = Path(__file__).resolve().parent.parent
READY_TIMEOUT_SECONDS = 120
REQUEST_TIMEOUT_SECONDS = 60

# Message parts: each turn combines them with its own numbers, so no two messages are the same.
OPENINGS = ("Hi,", "Hello team,", "Quick question:", "Hey,", "Good morning,", "")
# The demo company's questions (they name its plans and tools), from conversations/demo/.
QUESTIONS: tuple[str, ...] = tuple(
    json.loads(
        (Path(__file__).resolve().parent / "demo" / "bench_messages.json").read_text(encoding="utf-8")
    )["questions"]
)
PROSPECTS = (
    "prospect_001",
    "prospect_003",
    "prospect_005",
    "prospect_007",
    "prospect_010",
    "prospect_404",
    "",
)


@dataclass
class TurnBenchReport:
    turns: int
    concurrency: int
    workers: int
    errors: int
    seconds: float
    latencies_ms: list[float]
    # Resident memory (MiB) at the end: gunicorn's master, then each worker.
    master_mib: float = 0.0
    workers_mib: list[float] = field(default_factory=list)

    @property
    def turns_per_second(self) -> float:
        return (self.turns - self.errors) / self.seconds if self.seconds else 0.0

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies_ms)
        if not ordered:
            return 0.0
        return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]

    def lines(self) -> list[str]:
        return [
            f"turns: {self.turns} ({self.errors} errors), {self.concurrency} concurrent clients, "
            f"gunicorn {self.workers} workers",
            f"throughput: {self.turns_per_second:.1f} turns/s",
            f"latency p50 / p95 / p99: {self.percentile(0.5):.0f} / {self.percentile(0.95):.0f} / "
            f"{self.percentile(0.99):.0f} ms (mean {statistics.fmean(self.latencies_ms or [0]):.0f} ms)",
            "resident memory: master {:.0f} MiB, workers {} MiB (total {:.0f} MiB)".format(
                self.master_mib,
                " + ".join(f"{mib:.0f}" for mib in self.workers_mib) or "none",
                self.master_mib + sum(self.workers_mib),
            ),
        ]


def unique_messages(count: int, *, seed: int = 0) -> Iterator[tuple[str, str]]:
    """(message, prospect id) pairs, every message different."""
    rng = random.Random(seed)
    for number in range(count):
        question = rng.choice(QUESTIONS).format(n=7 + number)
        opening = rng.choice(OPENINGS)
        yield f"{opening} {question}".strip(), rng.choice(PROSPECTS)


def _environment(database: str) -> dict[str, str]:
    env = dict(os.environ)
    env["EMBEDDED_POSTGRES_DB"] = database
    env.setdefault("AGENT_BRAIN", "local")
    # Capacity, not the per-key policy, is measured: one key sends every turn.
    env.setdefault("THROTTLE_TURNS", "1000000/min")
    env["DEBUG"] = "false"
    return env


def _manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


def _get(url: str, *, timeout: float = 5.0) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return int(response.status)
    except (urllib.error.URLError, OSError):
        return 0


def resident_mib(pid: int) -> float:
    """A process's resident memory in MiB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def child_pids(pid: int) -> list[int]:
    """The processes a process started (gunicorn's workers, for its master)."""
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


@contextmanager
def gunicorn_server(
    env: dict[str, str], *, workers: int, threads: int, log: Path
) -> Iterator[tuple[str, subprocess.Popen]]:
    """A gunicorn serving the project on a free loopback port with the image's ``gunicorn.conf.py``;
    yields its base URL and its master process."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="bench-metrics-") as metrics_dir:
        server_env = {
            **env,
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": str(workers),
            "GUNICORN_THREADS": str(threads),
            "GUNICORN_TIMEOUT": "120",
            "PROMETHEUS_MULTIPROC_DIR": metrics_dir,
        }
        command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "salesagent.wsgi:application"]
        with log.open("w") as output:
            process = subprocess.Popen(
                command, cwd=BASE_DIR, env=server_env, stdout=output, stderr=subprocess.STDOUT
            )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + READY_TIMEOUT_SECONDS
            while _get(f"{base}/readyz") != 200:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn did not become ready:\n{log.read_text()[-3000:]}")
                time.sleep(0.5)
            yield base, process
        finally:
            stop_process(process, timeout=30)


def post_turn(base: str, token: str, message: str, prospect_id: str) -> float:
    """One turn through the API; returns its latency in ms (raises on a non-200)."""
    body: dict[str, object] = {"current_prospect_message": message}
    if prospect_id:
        body["prospect_id"] = prospect_id
    request = urllib.request.Request(
        f"{base}/api/process_message",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
        method="POST",
    )
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_SECONDS) as response:
        response.read()
    return (time.perf_counter() - started) * 1000


def run_turn_benchmark(
    *,
    turns: int,
    concurrency: int,
    workers: int = 2,
    threads: int = 4,
    database: str = "salesagent_bench",
    seed: int = 0,
    progress: Callable[[str], None] = lambda message: None,
) -> TurnBenchReport:
    env = _environment(database)
    progress(f"preparing database {database} (migrate, demo data)")
    _manage(env, "migrate", "--noinput")
    _manage(env, "load_demo")
    token = _manage(env, "create_api_token", "bench", "--staff").strip()
    log = BASE_DIR / "var" / "bench-gunicorn.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with gunicorn_server(env, workers=workers, threads=threads, log=log) as (base, server):
        progress(f"gunicorn ready at {base}; warming up every worker")
        warm_up = list(unique_messages(workers * threads * 2, seed=seed + 1))
        with ThreadPoolExecutor(max_workers=workers * threads) as pool:
            list(pool.map(lambda pair: post_turn(base, token, f"Warm-up: {pair[0]}", pair[1]), warm_up))
        messages = list(unique_messages(turns, seed=seed))
        latencies: list[float] = []
        errors = 0

        def one(pair: tuple[str, str]) -> float | None:
            try:
                return post_turn(base, token, *pair)
            except (urllib.error.URLError, OSError):
                return None

        progress(f"sending {turns} turns, {concurrency} at a time")
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            for latency in pool.map(one, messages):
                if latency is None:
                    errors += 1
                else:
                    latencies.append(latency)
        seconds = time.perf_counter() - started
        master_mib = resident_mib(server.pid)
        workers_mib = [resident_mib(pid) for pid in child_pids(server.pid)]
    return TurnBenchReport(turns, concurrency, workers, errors, seconds, latencies, master_mib, workers_mib)
