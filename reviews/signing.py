"""Webhook signatures: how a delivery is signed and how a receiver checks it (Stripe's scheme).

The ``Salesagent-Signature`` header is ``t=<unix seconds>,v1=<hex HMAC-SHA256>``, the HMAC taken with
the endpoint's secret over ``"<t>.<raw body>"``. Signing the timestamp with the body lets a receiver
refuse replays older than a tolerance. :func:`verify_signature` is the receiver's side, public so
clients (and our tests) check deliveries exactly as we sign them.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "Salesagent-Signature"
DELIVERY_HEADER = "Salesagent-Delivery-Id"
EVENT_HEADER = "Salesagent-Event"
DEFAULT_TOLERANCE_SECONDS = 300


class InvalidSignature(ValueError):
    """The signature header is missing, malformed, too old, or does not match the body."""


def _digest(secret: str, timestamp: int, payload: bytes) -> str:
    signed = str(timestamp).encode() + b"." + payload
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def sign(*, payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The signature header's value for ``payload`` (the exact bytes sent) at ``timestamp`` (now)."""
    at = int(time.time()) if timestamp is None else timestamp
    return f"t={at},v1={_digest(secret, at, payload)}"


def verify_signature(
    *,
    payload: bytes,
    header: str,
    secret: str,
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> int:
    """Check a delivery's signature header against its raw body; returns the signed timestamp.

    Raises :class:`InvalidSignature` when the header is malformed, no ``v1`` signature matches (the
    comparison is constant-time), or the timestamp is more than ``tolerance_seconds`` from ``now``.
    """
    timestamp: int | None = None
    candidates: list[str] = []
    for part in (header or "").split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1" and value:
            candidates.append(value)
    if timestamp is None or not candidates:
        raise InvalidSignature("signature header must be 't=<timestamp>,v1=<signature>'")
    expected = _digest(secret, timestamp, payload)
    if not any(hmac.compare_digest(expected, candidate) for candidate in candidates):
        raise InvalidSignature("no signature matches the body")
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_seconds:
        raise InvalidSignature(f"signature timestamp is more than {tolerance_seconds} s from now")
    return timestamp
