"""The API's only request parser: strict JSON, checked before any view sees it.

Rejected with 400 and a field error: bodies that are not UTF-8, JSON nested deeper than
``API_MAX_JSON_DEPTH``, ``NaN``/``Infinity`` (Postgres JSON cannot store them), and NUL characters or
unpaired surrogates in any string or key (Postgres text cannot store NUL; surrogates cannot be
encoded). Bodies over ``API_MAX_BODY_BYTES`` get 413.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError, ValidationError
from rest_framework.parsers import JSONParser

BAD_TEXT = re.compile("[\x00\ud800-\udfff]")


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body too large."
    default_code = "payload_too_large"


def text_error(value: str) -> str | None:
    """Why this text cannot be stored, or None when it can."""
    found = BAD_TEXT.search(value)
    if found is None:
        return None
    if found.group() == "\x00":
        return "Null characters are not allowed."
    return "Unpaired surrogate characters are not allowed."


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def check_json_value(data: Any, *, max_depth: int) -> None:
    """Raise a ValidationError keyed by the dotted path of the first bad string, key or nesting level."""
    stack: list[tuple[Any, str, int]] = [(data, "", 1)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, dict | list) and depth > max_depth:
            raise ValidationError(
                {path or "non_field_errors": [f"JSON nested deeper than {max_depth} levels."]}
            )
        if isinstance(value, str):
            problem = text_error(value)
            if problem:
                raise ValidationError({path or "non_field_errors": [problem]})
        elif isinstance(value, dict):
            for key, item in value.items():
                child = f"{path}.{key}" if path else str(key)
                problem = text_error(key)
                if problem:
                    raise ValidationError({BAD_TEXT.sub("?", child): [f"Key: {problem}"]})
                stack.append((item, child, depth + 1))
        elif isinstance(value, list):
            stack.extend(
                (item, f"{path}.{index}" if path else str(index), depth + 1)
                for index, item in enumerate(value)
            )


class StrictJSONParser(JSONParser):
    """JSON with the size, depth and text checks above."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        limit = settings.API_MAX_BODY_BYTES
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise PayloadTooLarge(f"Request body larger than {limit} bytes.")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ParseError("Request body is not valid UTF-8.") from exc
        try:
            data = json.loads(text, parse_constant=_reject_constant)
        except RecursionError as exc:
            raise ValidationError(
                {"non_field_errors": [f"JSON nested deeper than {settings.API_MAX_JSON_DEPTH} levels."]}
            ) from exc
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
        check_json_value(data, max_depth=settings.API_MAX_JSON_DEPTH)
        return data
