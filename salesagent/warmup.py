"""Warm-up: load the embedding model and the intent index before a process takes traffic.

Without it the first turn on each web or worker process paid the model load (16-18 s). ``wsgi.py``
warms up before the server accepts requests, Celery workers on start (``salesagent/celery.py``), and
``/readyz`` reports ready only once the process is warm (retrying the warm-up in the background if it
failed, say because the database was not up yet). ``WARM_UP=false`` skips it.
"""

from __future__ import annotations

import logging
import threading
from time import perf_counter

from django.conf import settings

from conversations.agent.pipeline import run_turn
from conversations.agent.types import TurnInput
from knowledge.embeddings import embed_query

logger = logging.getLogger(__name__)

# A turn in the local brain touches everything a real one loads: the embedding model, the intent
# index and its calibration, sentiment, language detection, search and the CRM client.
WARM_UP_MESSAGES = ("Hi! How much would it cost for 20 people, and can I pay monthly?",)

_lock = threading.Lock()
_warm = threading.Event()
_running = threading.Event()


def warm_up() -> bool:
    """Load what a turn needs now; returns whether the process is warm (idempotent, thread-safe)."""
    if _warm.is_set():
        return True
    with _lock:
        if _warm.is_set():
            return True
        started = perf_counter()
        try:
            embed_query("warm up")
            for message in WARM_UP_MESSAGES:
                run_turn(TurnInput(message=message), brain="local")
        except Exception:
            logger.exception("warm-up failed; /readyz retries it")
            return False
        _warm.set()
        logger.info("warm-up done in %.1f s", perf_counter() - started)
        return True


def warm_up_in_background() -> None:
    """Start a warm-up thread unless one is running (for /readyz after a failed warm-up)."""
    if _warm.is_set() or _running.is_set():
        return
    _running.set()

    def run() -> None:
        try:
            warm_up()
        finally:
            _running.clear()

    threading.Thread(target=run, name="warm-up", daemon=True).start()


def is_warm() -> bool:
    """Ready for fast turns: warmed up, or warm-up is switched off."""
    return _warm.is_set() or not settings.WARM_UP
