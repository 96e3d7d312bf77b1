"""The Celery application; tasks live in each app's ``tasks.py``.

Worker processes warm up (embedding model, intent index) when they start, so the first task does not
pay for it: prefork children on ``worker_process_init``, solo and thread pools once the worker is ready.
"""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from celery.signals import worker_process_init, worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salesagent.settings")

app = Celery("salesagent")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _warm_up() -> None:
    from django.conf import settings  # the worker has set Django up by the time these signals fire

    from salesagent.warmup import warm_up

    if settings.WARM_UP:
        warm_up()


@worker_process_init.connect
def _warm_up_prefork_child(**kwargs: Any) -> None:
    _warm_up()


@worker_ready.connect
def _warm_up_single_process_worker(sender: Any = None, **kwargs: Any) -> None:
    pool = getattr(sender, "pool", None)
    if pool is not None and "prefork" not in type(pool).__module__:
        _warm_up()
