"""OpenAPI post-processing: every operation declares the error statuses the API can answer with.

The exception handler (``salesagent/exceptions.py``) and the request guards decide these statuses for
every endpoint alike, so they are added here once instead of on each view.
"""

from __future__ import annotations

from typing import Any

ERROR = {"$ref": "#/components/schemas/Error"}
FIELD_ERRORS = {"$ref": "#/components/schemas/FieldErrors"}
SCHEMAS = {
    "Error": {
        "type": "object",
        "properties": {
            "detail": {"type": "string"},
            "code": {"type": "string"},
            "required_scope": {"type": "string", "description": "The scope the key lacks (403)."},
        },
        "required": ["detail"],
    },
    "FieldErrors": {
        "type": "object",
        "description": "Errors by field name (a dotted path for nested JSON); 'non_field_errors' or "
        "'detail' for the body as a whole.",
        "additionalProperties": True,
    },
}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _retry_after(description: str) -> dict[str, Any]:
    response = _json(ERROR, description)
    response["headers"] = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds."}}
    return response


def declare_error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict:
    """drf-spectacular hook: add the shared error responses to every operation."""
    result.setdefault("components", {}).setdefault("schemas", {}).update(SCHEMAS)
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            shared: dict[str, dict[str, Any]] = {
                "401": _json(ERROR, "No API key, or an unknown, revoked or expired one"),
                "403": _json(ERROR, "The key lacks the scope this operation needs"),
                "406": _json(ERROR, "Only application/json responses are available"),
                "429": _retry_after("Too many requests for this key and scope"),
                "503": _retry_after("The database is unavailable; retry after Retry-After seconds"),
                "400": _json(FIELD_ERRORS, "Field errors in the query or body"),
            }
            if "{" in path:
                shared["404"] = _json(ERROR, "Not found (or not visible to this key)")
            if method in {"post", "put", "patch"}:
                shared["413"] = _json(ERROR, "Request body larger than API_MAX_BODY_BYTES")
                shared["415"] = _json(ERROR, "Only application/json request bodies are accepted")
            for code, response in shared.items():
                existing = responses.get(code)
                if existing is None:
                    responses[code] = response
                elif "content" not in existing:
                    existing["content"] = response["content"]
                    if "headers" in response:
                        existing.setdefault("headers", response["headers"])
            if "409" in responses:
                responses["409"] = {**_retry_after(responses["409"].get("description", "Conflict"))}
            if "422" in responses and "content" not in responses["422"]:
                responses["422"]["content"] = _json(ERROR, "")["content"]
    return result
