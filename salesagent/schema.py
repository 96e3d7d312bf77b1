"""OpenAPI post-processing: every operation declares the error statuses the API can answer with.

The exception handler (``salesagent/exceptions.py``) and the request guards decide these statuses for
every endpoint alike, so they are added here once instead of on each view.
"""

from __future__ import annotations

from typing import Any

ERROR = {"$ref": "#/components/schemas/Error"}
# "Has a character that is not whitespace", where whitespace is what Python's str.strip() removes
# (DRF trims text with it), spelled out: regex engines disagree on \s (ECMA's leaves out the
# separators \x1c-\x1f and NEL \x85, and adds the BOM \ufeff, which str.strip() keeps).
VISIBLE_TEXT = r"[^\t\n\x0b\x0c\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
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


def _visible(schema: dict[str, Any]) -> None:
    if (
        schema.get("type") == "string"
        and schema.get("minLength", 0) >= 1
        and not {"pattern", "format", "enum"} & set(schema)
    ):
        schema["pattern"] = VISIBLE_TEXT


def _require_visible_text(schemas: dict[str, Any], paths: dict[str, Any]) -> None:
    # The API trims whitespace from text, so a non-blank field or query parameter may not be only
    # whitespace.
    for name, schema in schemas.items():
        if not name.endswith("Request"):
            continue
        for prop in schema.get("properties", {}).values():
            _visible(prop)
            _visible(prop.get("items") or {})
    for operations in paths.values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query":
                    _visible(parameter.get("schema") or {})


# Conversation operations whose {id} a turn's response supplies (for stateful testing and clients).
TURN_LINKS = {
    "GetConversation": "conversations_retrieve",
    "ListConversationMessages": "conversations_messages_list",
    "ListConversationTurns": "conversations_turns_list",
    "ContinueConversation": "conversations_turns_create",
    "RecordMessage": "conversations_messages_create",
}


def _link_turns(paths: dict[str, Any]) -> None:
    known = {op.get("operationId") for ops in paths.values() for op in ops.values() if isinstance(op, dict)}
    for operations in paths.values():
        for operation in operations.values():
            if operation.get("operationId") not in {"process_message_create", "conversations_turns_create"}:
                continue
            response = operation.get("responses", {}).get("200")
            if response is None:
                continue
            response["links"] = {
                name: {"operationId": target, "parameters": {"id": "$response.body#/conversation_id"}}
                for name, target in TURN_LINKS.items()
                if target in known
            }


def declare_error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict:
    """drf-spectacular hook: add the shared error responses to every operation."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(SCHEMAS)
    _require_visible_text(schemas, result.get("paths", {}))
    _link_turns(result.get("paths", {}))
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
            parameters = operation.get("parameters", [])
            paged = any(param.get("name") == "page" for param in parameters)
            if any(param.get("in") == "query" for param in parameters):
                # The HTTP server in front (gunicorn, a proxy) refuses request lines over its limit.
                shared["414"] = {
                    "description": "URL longer than the HTTP server accepts",
                    "content": {"text/html": {"schema": {"type": "string"}}},
                }
            if "{" in path or paged:
                shared["404"] = _json(ERROR, "Not found (or not visible to this key; or no such page)")
            if method in {"post", "put", "patch"}:
                shared["413"] = _json(ERROR, "Request body larger than API_MAX_BODY_BYTES")
                shared["415"] = _json(ERROR, "Only application/json request bodies are accepted")
                shared["409"] = _json(FIELD_ERRORS, "Conflicts with stored data (a slug or id already taken)")
            for code, response in shared.items():
                existing = responses.get(code)
                if existing is None:
                    responses[code] = response
                elif "content" not in existing:
                    existing["content"] = response["content"]
                    if "headers" in response:
                        existing.setdefault("headers", response["headers"])
            if "Idempotency-Key" in responses.get("409", {}).get("description", ""):
                responses["409"] = _retry_after(responses["409"]["description"])
            if "422" in responses and "content" not in responses["422"]:
                responses["422"]["content"] = _json(ERROR, "")["content"]
    return result
