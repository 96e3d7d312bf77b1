"""The Celery application; tasks live in each app's ``tasks.py``.

Workers log through Django's ``LOGGING`` (JSON lines), bind the request id a task was enqueued
under (django-structlog's boot step), and with ``WORKER_METRICS_PORT`` serve their metrics.
Worker processes warm up (embedding model, intent index) when they start, so the first task does not
pay for it: prefork children on ``worker_process_init``, solo and thread pools once the worker is ready.
"""

from __future__ import annotations

import logging.config
import os
from typing import Any

from celery import Celery, signals
from django.conf import settings
from django_structlog.celery.steps import DjangoStructLogInitStep

from salesagent.prometheus import (
    multiproc_dir_ensure,
    multiproc_dir_prepare,
    multiproc_process_dead,
    start_metrics_server,
)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salesagent.settings")
# Every process of ours imports this module (through the salesagent package) before any metric exists.
multiproc_dir_ensure()

app = Celery("salesagent")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.steps["worker"].add(DjangoStructLogInitStep)


@signals.setup_logging.connect
def _use_django_logging(**kwargs: Any) -> None:
    # Connected, so Celery leaves logging alone: the worker's lines are JSON like the web's.
    logging.config.dictConfig(settings.LOGGING)


@signals.celeryd_init.connect
def _forget_earlier_runs(**kwargs: Any) -> None:
    # Before the worker imports its tasks (and their metrics): files of an earlier run would add up.
    multiproc_dir_prepare()
    # The embedded database (when DATABASE_URL is unset), before the first task needs it.
    from salesagent.embedded_db import ensure_configured_server

    ensure_configured_server()


@signals.worker_init.connect
def _serve_worker_metrics(**kwargs: Any) -> None:
    # The main worker process, before the pool forks: children write to the multiprocess directory.
    if settings.WORKER_METRICS_PORT:
        start_metrics_server(port=settings.WORKER_METRICS_PORT)


@signals.worker_process_shutdown.connect
def _forget_pool_process(pid: int | None = None, **kwargs: Any) -> None:
    multiproc_process_dead(pid or os.getpid())


def _warm_up() -> None:
    from salesagent.warmup import warm_up

    if settings.WARM_UP:
        warm_up()


@signals.worker_process_init.connect
def _warm_up_prefork_child(**kwargs: Any) -> None:
    _warm_up()


@signals.worker_ready.connect
def _warm_up_single_process_worker(sender: Any = None, **kwargs: Any) -> None:
    pool = getattr(sender, "pool", None)
    if pool is not None and "prefork" not in type(pool).__module__:
        _warm_up()
