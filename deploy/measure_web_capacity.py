"""Turns per second and memory of one web pod's worth of gunicorn (gunicorn.conf.py), local brain.

    .venv/bin/python deploy/measure_web_capacity.py [--clients 8] [--turns 300]

Needs the database of `make demo` (migrated, demo rows loaded). Starts gunicorn on a free 127.0.0.1
port with WEB_CONCURRENCY workers (default 2, as in the manifests), sends warm-up turns, then a fixed
number of turns from concurrent clients, and prints throughput, client-side latency and the resident
memory of the master and its workers. The clients and Postgres share the machine with gunicorn, so on
a 2-core machine the figure is a floor for a pod with 2 dedicated CPUs. Conversations it creates are
deleted at the end. (A `make bench-turns` benchmark may supersede this script.)
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
MESSAGES = [
    "Can I pay in installments?",
    "How much is the Pro plan for 40 seats?",
    "Do you integrate with Salesforce?",
    "Is there a free trial?",
    "What is your refund policy?",
    "Can we get a demo next week?",
    "Is our data encrypted at rest?",
    "Your competitor is cheaper, why should we pick you?",
]
READY_TIMEOUT = 120


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(*args: str) -> str:
    """The last line a management command printed (``shell`` may print a banner first)."""
    output = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, capture_output=True, text=True, check=True
    ).stdout.strip()
    return output.splitlines()[-1] if output else ""


def post(url: str, token: str, message: str) -> float:
    request = urllib.request.Request(
        f"{url}/api/process_message",
        data=json.dumps({"current_prospect_message": message}).encode(),
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
        method="POST",
    )
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as response:
        response.read()
    return time.perf_counter() - started


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def children(pid: int) -> list[int]:
    found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in found]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--turns", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2)
    options = parser.parse_args()

    token = manage("create_api_token", "capacity-bench")
    first_id = manage(
        "shell",
        "-c",
        "from conversations.models import Conversation as C; "
        "print(C.objects.order_by('-pk').values_list('pk', flat=True).first() or 0)",
    )
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(options.workers),
        "PROMETHEUS_MULTIPROC_DIR": tempfile.mkdtemp(prefix="capacity-metrics-"),
        "AGENT_BRAIN": "local",
        "LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "salesagent.wsgi:application"],
        cwd=BASE_DIR,
        env=env,
    )
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            try:
                urllib.request.urlopen(f"{url}/healthz", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        # Warm-up: every worker loads its models and fills its caches before the clock starts.
        for index in range(options.clients * 4):
            post(url, token, MESSAGES[index % len(MESSAGES)])

        latencies: list[float] = []
        lock = threading.Lock()
        per_client = options.turns // options.clients

        def client(offset: int) -> None:
            for index in range(per_client):
                took = post(url, token, MESSAGES[(offset + index) % len(MESSAGES)])
                with lock:
                    latencies.append(took)

        started = time.perf_counter()
        threads = [threading.Thread(target=client, args=(n,)) for n in range(options.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started

        workers = children(server.pid)
        memory = {"master": rss_mib(server.pid), **{f"worker {pid}": rss_mib(pid) for pid in workers}}
        ordered = sorted(latencies)
        print(
            f"{len(latencies)} turns, {options.clients} clients, {options.workers} workers: "
            f"{len(latencies) / elapsed:.1f} turns/s"
        )
        print(
            f"client latency p50 {statistics.median(ordered) * 1000:.0f} ms, "
            f"p95 {ordered[int(0.95 * (len(ordered) - 1))] * 1000:.0f} ms"
        )
        print(
            "resident memory (MiB): "
            + ", ".join(f"{name} {mib:.0f}" for name, mib in memory.items())
            + f"; total {sum(memory.values()):.0f}"
        )
    finally:
        server.terminate()
        server.wait(timeout=60)
        manage(
            "shell",
            "-c",
            "from conversations.models import Conversation as C; "
            "from django.contrib.auth import get_user_model as U; "
            f"C.objects.filter(pk__gt={first_id}).delete(); "
            "U().objects.filter(username='capacity-bench').delete()",
        )


if __name__ == "__main__":
    main()
