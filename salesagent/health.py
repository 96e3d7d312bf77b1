"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, JsonResponse


def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up and serving requests."""
    return JsonResponse({"status": "ok"})


def readyz(request: HttpRequest) -> JsonResponse:
    """The process can reach its database, with the pgvector extension installed."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
            row = cursor.fetchone()
    except Exception as exc:  # any database failure means "not ready", never a 500
        return JsonResponse({"status": "unavailable", "database": str(exc)}, status=503)
    if row is None:
        return JsonResponse({"status": "unavailable", "database": "pgvector extension missing"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok", "pgvector": row[0]})
