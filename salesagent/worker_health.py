"""Health check of a Celery worker: ``python -m salesagent.worker_health`` exits 0 when it answers.

Used by docker-compose's healthcheck and the worker's Kubernetes liveness probe. It pings the worker
of this host (``celery@HOSTNAME``, or ``CELERY_WORKER_NAME``) through the broker, so it fails when
the worker's consumer loop is stuck or it lost the broker, not only when the process is gone.
"""

from __future__ import annotations

import os
import socket
import sys

from salesagent.celery import app as celery_app

PING_TIMEOUT_SECONDS = 5.0


def worker_node_name() -> str:
    return os.environ.get("CELERY_WORKER_NAME") or f"celery@{socket.gethostname()}"


def worker_responds(*, node: str, timeout: float = PING_TIMEOUT_SECONDS) -> bool:
    """Whether the worker ``node`` answers a broadcast ping within ``timeout`` seconds."""
    replies = celery_app.control.ping(destination=[node], timeout=timeout)
    return any(node in reply for reply in replies)


def main() -> int:
    node = worker_node_name()
    if worker_responds(node=node):
        return 0
    print(f"worker {node} did not answer a ping", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
