"""The base of the domain errors an API client may see: each app's error carries its own HTTP status,
code and body, so the API's exception handler needs to know none of them."""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    """An error of one app's domain, answered as ``status_code`` with ``body()`` and ``headers()``."""

    status_code: ClassVar[int] = 400
    code: ClassVar[str] = "error"
    # The detail clients see when it is always the same; otherwise the exception's message.
    message: ClassVar[str] = ""

    def body(self) -> dict[str, Any]:
        return {"detail": self.message or str(self), "code": self.code, **self.extra()}

    def extra(self) -> dict[str, Any]:
        """Fields of the body besides ``detail`` and ``code``."""
        return {}

    def headers(self) -> dict[str, str] | None:
        return None
