"""Gunicorn settings for the web process, used by the Dockerfile, docker-compose and the Kubernetes manifests.

Every worker is a separate process, so Prometheus metrics live in ``PROMETHEUS_MULTIPROC_DIR``
(set here when the environment does not): it is emptied when gunicorn starts, and a worker that
exits is marked dead so its live gauges disappear. ``/metrics`` then adds up every worker.
Sizes come from the environment so one image fits a laptop and a pod: ``WEB_CONCURRENCY`` workers
(default 2, one per CPU of a 2-CPU pod) of ``GUNICORN_THREADS`` threads each.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

# Before anything imports prometheus_client: it picks multiprocess mode when first imported.
os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR", os.path.join(tempfile.gettempdir(), "salesagent-prometheus-web")
)

from salesagent.logs import configure_structlog, logging_config
from salesagent.prometheus import multiproc_dir_prepare, multiproc_process_dead

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# A model turn may take 44 s (the model budget); the timeout must let it finish.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
# Load balancers keep connections open; a short keep-alive frees threads of idle clients.
keepalive = 5
# Gunicorn's own lines (boot, worker exits) as JSON too; no access log, django-structlog writes one
# line per request already.
configure_structlog()
_logging = logging_config(level=os.environ.get("LOG_LEVEL", "INFO"), fmt=os.environ.get("LOG_FORMAT", "json"))
_logging["loggers"]["gunicorn.error"] = {"handlers": ["console"], "level": "INFO", "propagate": False}
logconfig_dict = _logging
accesslog = None
# The gunicornc control socket is not used in containers, and would need a writable $HOME.
control_socket_disable = True
# Worker heartbeat files on tmpfs, not on a possibly slow or read-only disk.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None


def on_starting(server: Any) -> None:
    multiproc_dir_prepare()
    # Once, in the master, before any worker serves: the embedded database when DATABASE_URL is unset.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salesagent.settings")
    from salesagent.embedded_db import ensure_configured_server

    ensure_configured_server()


def child_exit(server: Any, worker: Any) -> None:
    multiproc_process_dead(worker.pid)
