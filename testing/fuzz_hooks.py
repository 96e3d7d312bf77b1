"""Schemathesis hooks for `make fuzz`: keep generated bodies within the rules the OpenAPI schema cannot
state, so "schema-valid request rejected" only reports real mistakes.

- Message timestamps may not be in the future (beyond MAX_CLOCK_SKEW_SECONDS): a valid timestamp is
  moved into the past. Malformed ones are left alone, so negative cases stay negative.
- A document's ``translation_of`` must name a stored original in another language: a non-empty slug
  becomes null. Empty strings and wrong types are left alone.

Both rules have their own tests (salesagent/tests/test_bad_input.py, knowledge/tests).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import schemathesis

PAST = (datetime.now(UTC) - timedelta(days=1)).isoformat()


def _past_timestamps(value: Any) -> Any:
    if isinstance(value, dict):
        fixed = {key: _past_timestamps(item) for key, item in value.items()}
        stamp = fixed.get("timestamp")
        if isinstance(stamp, str):
            try:
                parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
            except ValueError:
                parsed = None
            if parsed is not None and (parsed.tzinfo is None or parsed > datetime.now(UTC)):
                fixed["timestamp"] = PAST
        return fixed
    if isinstance(value, list):
        return [_past_timestamps(item) for item in value]
    return value


@schemathesis.hook
def map_body(context: Any, body: Any) -> Any:
    body = _past_timestamps(body)
    path = getattr(context.operation, "path", "") if context.operation is not None else ""
    original = body.get("translation_of") if isinstance(body, dict) else None
    if path.startswith("/api/knowledge/documents") and isinstance(original, str) and original:
        body = {**body, "translation_of": None}
    return body
