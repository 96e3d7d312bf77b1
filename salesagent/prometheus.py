"""Exposing metrics: multiprocess collection, who may scrape, and the Celery worker's own endpoint.

With ``PROMETHEUS_MULTIPROC_DIR`` set (gunicorn's and the worker's processes share one directory),
a scrape adds up every process's files; without it, the process's own registry is served. Access
(:func:`metrics_access_allowed`): a request bearing ``METRICS_TOKEN``, or one from
``METRICS_ALLOWED_NETWORKS`` that did not pass through a proxy.
"""

from __future__ import annotations

import hmac
import os
import socketserver
import threading
from collections.abc import Callable, Iterable, Iterator
from ipaddress import ip_address, ip_network
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from django.conf import settings
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def multiproc_dir() -> Path | None:
    value = os.environ.get(MULTIPROC_ENV, "")
    return Path(value) if value else None


def multiproc_dir_ensure() -> None:
    """Create the multiprocess directory if it is configured: the first metric opens a file in it."""
    directory = multiproc_dir()
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True)


def multiproc_dir_prepare() -> None:
    """Empty the multiprocess directory before the first worker starts: files of processes of an
    earlier run would otherwise be added to this run's counters."""
    directory = multiproc_dir()
    if directory is None:
        return
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink(missing_ok=True)


def multiproc_process_dead(pid: int) -> None:
    """A worker process exited: drop its live gauges (counters and histograms are kept)."""
    if multiproc_dir() is not None:
        multiprocess.mark_process_dead(pid)


class _ProcessRegistry(Collector):
    """This process's default registry, as a collector of another registry."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


def build_registry(extra: Iterable[Collector] = ()) -> CollectorRegistry:
    """A registry of every process's metrics (or this process's), plus ``extra`` collectors."""
    # No auto_describe: describing would run every collector (and its queries) a second time.
    registry = CollectorRegistry()
    if multiproc_dir() is not None:
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ProcessRegistry())
    for collector in extra:
        registry.register(collector)
    return registry


def exposition(registry: CollectorRegistry) -> tuple[bytes, str]:
    """The registry in the Prometheus text format, and its content type."""
    return generate_latest(registry), CONTENT_TYPE_LATEST


def metrics_access_allowed(*, remote_addr: str, authorization: str, forwarded_for: str) -> bool:
    """Whether a scrape may read the metrics (see the module docstring)."""
    token = settings.METRICS_TOKEN
    if token and hmac.compare_digest(authorization.encode(), f"Bearer {token}".encode()):
        return True
    if forwarded_for:
        # Came through a proxy (an ingress): its address says nothing about the real client.
        return False
    try:
        address = ip_address(remote_addr)
    except ValueError:
        return False
    cidrs = [cidr.strip() for cidr in settings.METRICS_ALLOWED_NETWORKS if cidr.strip()]
    return any(address in ip_network(cidr, strict=False) for cidr in cidrs)


def metrics_wsgi_app(registry: CollectorRegistry) -> Callable[..., Iterable[bytes]]:
    """A WSGI application serving ``registry`` at any path, under the same access rules."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        allowed = metrics_access_allowed(
            remote_addr=environ.get("REMOTE_ADDR", ""),
            authorization=environ.get("HTTP_AUTHORIZATION", ""),
            forwarded_for=environ.get("HTTP_X_FORWARDED_FOR", ""),
        )
        if not allowed:
            start_response("403 Forbidden", [("Content-Type", "application/json")])
            return [b'{"detail": "metrics are not available to this client"}']
        body, content_type = exposition(registry)
        start_response("200 OK", [("Content-Type", content_type)])
        return [body]

    return app


class _ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Scrapes every few seconds would drown the worker's log."""


def start_metrics_server(*, port: int, address: str = "0.0.0.0") -> WSGIServer:
    """Serve this process's (or every pool process's) metrics on ``address:port`` in a daemon thread."""
    server = make_server(
        address, port, metrics_wsgi_app(build_registry()), _ThreadingServer, handler_class=_QuietHandler
    )
    threading.Thread(target=server.serve_forever, name="metrics-server", daemon=True).start()
    return server
