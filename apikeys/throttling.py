"""Request throttling per API key and throttle scope, counted in the Django cache (Redis when configured).

Turn endpoints count as ``turns``; other reads as ``read`` and other writes as ``write``. Rates are
``THROTTLE_RATES`` in settings (``THROTTLE_TURNS``, ``THROTTLE_READS``, ``THROTTLE_WRITES``).
"""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from apikeys.authentication import request_access

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class KeyScopeThrottle(SimpleRateThrottle):
    """One bucket per (key, throttle scope); signed-in users count per user, anonymous per address."""

    def __init__(self) -> None:
        # The scope (and so the rate) depends on the view and method: resolved in allow_request.
        self.scope = "read"

    def allow_request(self, request: Request, view: Any) -> bool:
        self.scope = getattr(view, "throttle_scope", None) or (
            "read" if request.method in SAFE_METHODS else "write"
        )
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_rate(self) -> str | None:
        # Read the settings now, not when the class was defined (DRF's default), so they can change.
        rates: dict[str, Any] = api_settings.DEFAULT_THROTTLE_RATES
        return rates.get(self.scope) if self.scope else None

    def get_cache_key(self, request: Request, view: Any) -> str:
        access = request_access(request)
        if access.api_key_id:
            ident = f"key:{access.api_key_id.partition('.')[0]}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"addr:{self.get_ident(request)}"
        return f"throttle:{self.scope}:{ident}"
