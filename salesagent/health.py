"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

import logging

from django.db import connection
from django.http import HttpRequest, JsonResponse

from salesagent.warmup import is_warm, warm_up_in_background

logger = logging.getLogger(__name__)


def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up and serving requests."""
    return JsonResponse({"status": "ok"})


def readyz(request: HttpRequest) -> JsonResponse:
    """The process can reach its database (with pgvector) and has loaded its models."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
            row = cursor.fetchone()
    except Exception:  # any database failure means "not ready", never a 500; details go to the log only
        logger.warning("readiness: database unreachable", exc_info=True)
        return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    if row is None:
        return JsonResponse({"status": "unavailable", "database": "pgvector extension missing"}, status=503)
    if not is_warm():
        warm_up_in_background()
        return JsonResponse({"status": "warming_up", "database": "ok", "pgvector": row[0]}, status=503)
    return JsonResponse({"status": "ok", "database": "ok", "pgvector": row[0]})
