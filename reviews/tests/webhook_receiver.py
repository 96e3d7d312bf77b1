"""A client's webhook receiver on 127.0.0.1, for tests: it verifies each delivery's signature with the
public :func:`reviews.signing.verify_signature`, as a client would, and answers scripted statuses.

Every request is recorded (headers, raw body, whether the signature verified). A scripted status is
used once, in order; then it answers 200. A request whose signature does not verify gets 401.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from reviews.signing import DELIVERY_HEADER, SIGNATURE_HEADER, InvalidSignature, verify_signature
from testing.local_server import LocalHTTPServer


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    verified: bool
    status: int

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body)

    @property
    def delivery_id(self) -> str:
        return self.headers.get(DELIVERY_HEADER, "")


@dataclass
class WebhookReceiver(LocalHTTPServer):
    secret: str = "whsec-test-secret"
    statuses: deque[int] = field(default_factory=deque)
    requests: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    verify_signature(
                        payload=body, header=self.headers.get(SIGNATURE_HEADER, ""), secret=receiver.secret
                    )
                    verified = True
                except InvalidSignature:
                    verified = False
                with receiver._lock:
                    status = (receiver.statuses.popleft() if receiver.statuses else 200) if verified else 401
                    receiver.requests.append(Received(dict(self.headers.items()), body, verified, status))
                reply = b'{"ok": true}' if status < 300 else b'{"error": "try again"}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._serve(Handler, name="webhook-receiver")

    @property
    def url(self) -> str:
        return f"{self.origin}/hooks/sales-agent"

    @property
    def accepted(self) -> list[Received]:
        """Deliveries the receiver took (verified and answered 2xx)."""
        return [item for item in self.requests if item.verified and item.status < 300]
