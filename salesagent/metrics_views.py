"""``/metrics``: every process's counters plus gauges of shared state read at scrape time.

The shared state (the model circuit breaker in the cache, documents per index status, the Celery
queue's length in Redis) is the same whichever web pod answers, so every pod reports it and
dashboards take ``max`` across pods. A part that cannot be read (Redis down) is left out of that
scrape and logged; the rest is still served.
"""

from __future__ import annotations

from collections.abc import Iterator

import redis
import structlog
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, JsonResponse
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from conversations.agent.breaker import breaker_state
from knowledge.models import Document
from salesagent.celery import app as celery_app
from salesagent.prometheus import build_registry, exposition, metrics_access_allowed

logger = structlog.get_logger(__name__)
BREAKER_STATES = ("closed", "open", "half-open")
# Redis answers LLEN in microseconds; a broker that takes longer is down for this scrape.
BROKER_TIMEOUT_SECONDS = 1.0


def celery_queue_lengths() -> dict[str, int]:
    """Messages waiting in each Celery queue on a Redis broker; empty when tasks run inline."""
    broker_url = celery_app.conf.broker_url or ""
    if celery_app.conf.task_always_eager or not broker_url.startswith(("redis://", "rediss://")):
        return {}
    client = redis.Redis.from_url(
        broker_url, socket_timeout=BROKER_TIMEOUT_SECONDS, socket_connect_timeout=BROKER_TIMEOUT_SECONDS
    )
    try:
        queue = celery_app.conf.task_default_queue
        return {queue: int(client.llen(queue))}
    finally:
        client.close()


class SharedStateCollector(Collector):
    """Gauges read when Prometheus scrapes: breaker state, documents by index status, queue length."""

    def collect(self) -> Iterator[Metric]:
        for name, read in (
            ("breaker", self._breaker),
            ("documents", self._documents),
            ("queue", self._queue),
        ):
            try:
                yield read()
            except Exception as exc:  # a scrape must never fail because one source is down
                logger.warning("metrics_source_unavailable", source=name, error=str(exc)[:200])

    def _breaker(self) -> Metric:
        state = breaker_state()
        family = GaugeMetricFamily(
            "salesagent_model_breaker_state",
            "1 for the model circuit breaker's current state (closed, open, half-open).",
            labels=["state"],
        )
        for name in BREAKER_STATES:
            family.add_metric([name], 1.0 if name == state else 0.0)
        return family

    def _documents(self) -> Metric:
        counts = dict(Document.objects.values_list("index_status").annotate(n=Count("id")).order_by())
        family = GaugeMetricFamily(
            "salesagent_knowledge_documents", "Knowledge documents by index status.", labels=["status"]
        )
        for status in Document.IndexStatus.values:
            family.add_metric([status], float(counts.get(status, 0)))
        return family

    def _queue(self) -> Metric:
        family = GaugeMetricFamily(
            "salesagent_celery_queue_length", "Tasks waiting on the broker, by queue.", labels=["queue"]
        )
        for queue, length in celery_queue_lengths().items():
            family.add_metric([queue], float(length))
        return family


def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus text format, for allowed scrapers only (``METRICS_TOKEN``/``METRICS_ALLOWED_NETWORKS``)."""
    allowed = metrics_access_allowed(
        remote_addr=request.META.get("REMOTE_ADDR", ""),
        authorization=request.headers.get("Authorization", ""),
        forwarded_for=request.headers.get("X-Forwarded-For", ""),
    )
    if not allowed:
        return JsonResponse({"detail": "Metrics are not available to this client."}, status=403)
    body, content_type = exposition(build_registry([SharedStateCollector()]))
    return HttpResponse(body, content_type=content_type)
