"""A local HTTP server for the fakes that stand in for external APIs (OpenAI, HubSpot, a webhook
receiver): a ``ThreadingHTTPServer`` on a free 127.0.0.1 port, served from a daemon thread."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self

from testing.processes import free_port


class LocalHTTPServer:
    """Subclasses call ``_serve`` with their request handler once their own state is set up; ``start``
    and ``stop`` run and close the server. Request threads are daemons and closing does not wait for
    them: a fake that stalls a reply on purpose must not hold the test process."""

    port: int

    def _serve(self, handler: type[BaseHTTPRequestHandler], *, name: str) -> None:
        self.port = free_port()
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread = threading.Thread(target=self._server.serve_forever, name=name, daemon=True)

    @property
    def origin(self) -> str:
        """Scheme, host and port: what a client's base URL starts with."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
