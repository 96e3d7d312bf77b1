"""Errors as the API's clients see them: one DRF exception handler.

A domain error (:class:`salesagent.errors.DomainError`, subclassed in each app) carries its status,
code and body; the handler imports no app. What they are:

| raised | status |
|---|---|
| ``ConversationNotFound`` (or one the key may not see) | 404 |
| ``ScopeDenied`` (the key lacks a scope) | 403, naming the scope |
| ``ConversationFull`` | 409, also a field error on ``conversation_id`` |
| ``DraftNotFound`` (or one in a conversation the key may not see) | 404 |
| ``DraftAlreadyDecided`` (a second, different decision on a draft) | 409 with the stored decision |
| ``DraftSuperseded`` (approving a draft the prospect has written past) | 409 |
| ``ProposalAlreadyDecided``, ``ProposalNotApproved`` (the proposal's state) | 409 with ``state`` |
| ``IdempotencyKeyReused`` | 422 |
| ``TurnInProgress`` | 409 with ``Retry-After`` |
| database unavailable (``salesagent.faults``) | 503 with ``Retry-After`` |
| ``RequestDataTooBig`` | 413 |
| a validation error that is only uniqueness (slug or external id taken) | 409 |

Views raise; they never build error responses themselves. ``server_error`` and ``page_not_found``
are Django's handlers for what happens outside DRF: JSON under ``/api/``, and a database outage is a
JSON 503 anywhere.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from salesagent.errors import DomainError
from salesagent.faults import is_database_unavailable
from salesagent.middleware import API_PREFIX, database_unavailable_response

logger = logging.getLogger(__name__)


def _response(body: dict[str, Any], code: int, headers: dict[str, str] | None = None) -> Response:
    return Response(body, status=code, headers=headers)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler with our domain errors answered as they say (see the module docstring)."""
    if isinstance(exc, DomainError):
        return _response(exc.body(), exc.status_code, exc.headers())
    if isinstance(exc, RequestDataTooBig):
        return _response(
            {
                "detail": f"Request body larger than {settings.API_MAX_BODY_BYTES} bytes.",
                "code": "payload_too_large",
            },
            status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if is_database_unavailable(exc):
        logger.warning("database unavailable: %s", exc)
        return _response(
            {"detail": "The database is unavailable; retry shortly.", "code": "database_unavailable"},
            status.HTTP_503_SERVICE_UNAVAILABLE,
            {"Retry-After": str(settings.DATABASE_RETRY_AFTER_SECONDS)},
        )
    if isinstance(exc, exceptions.ValidationError) and _only_uniqueness(exc.get_codes()):
        # A slug or external id another row already has: the request conflicts with stored state.
        return _response(exc.detail if isinstance(exc.detail, dict) else {"detail": exc.detail}, 409)
    if isinstance(exc, exceptions.Throttled):
        response = drf_exception_handler(exc, context)
        if response is not None and "Retry-After" not in response:
            response["Retry-After"] = "1"
        return response
    return drf_exception_handler(exc, context)


def _only_uniqueness(codes: Any) -> bool:
    flat: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        else:
            flat.append(str(value))

    walk(codes)
    return bool(flat) and all(code == "unique" for code in flat)


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's 500 handler: a database outage is a JSON 503; other API errors are JSON 500s."""
    exc = sys.exc_info()[1]
    if exc is not None and is_database_unavailable(exc):
        return database_unavailable_response()
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": "Internal server error.", "code": "server_error"}, status=500)
    return defaults.server_error(request)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 404 handler: JSON under /api/, the usual page elsewhere."""
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)
    return defaults.page_not_found(request, exception)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 400 handler (e.g. a body over DATA_UPLOAD_MAX_MEMORY_SIZE): JSON under /api/."""
    if isinstance(exception, RequestDataTooBig):
        return JsonResponse(
            {
                "detail": f"Request body larger than {settings.API_MAX_BODY_BYTES} bytes.",
                "code": "payload_too_large",
            },
            status=413,
        )
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": "Bad request.", "code": "bad_request"}, status=400)
    return defaults.bad_request(request, exception)
