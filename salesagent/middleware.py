"""Guards in front of the API: body size, NUL characters in URLs, and database outages as JSON 503s."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from salesagent.faults import is_database_unavailable
from salesagent.parsers import text_error

logger = logging.getLogger(__name__)
API_PREFIX = "/api/"


def database_unavailable_response() -> JsonResponse:
    """The one answer to any request that met a database outage: JSON, 503, and when to retry."""
    response = JsonResponse(
        {"detail": "The database is unavailable; retry shortly.", "code": "database_unavailable"}, status=503
    )
    response["Retry-After"] = str(settings.DATABASE_RETRY_AFTER_SECONDS)
    return response


class ApiRequestGuardMiddleware:
    """Rejects oversized API bodies (413), NUL characters in API URLs (404 path, 400 query) and repeated
    query parameters (400) before any view reads them, and turns database outages anywhere into a
    JSON 503."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(API_PREFIX):
            rejected = self._check_api_request(request)
            if rejected is not None:
                return rejected
        return self.get_response(request)

    def _check_api_request(self, request: HttpRequest) -> HttpResponse | None:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.API_MAX_BODY_BYTES:
            return JsonResponse(
                {
                    "detail": f"Request body larger than {settings.API_MAX_BODY_BYTES} bytes.",
                    "code": "payload_too_large",
                },
                status=413,
            )
        if text_error(request.path):
            return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)
        errors = {
            name if not text_error(name) else "query": [problem]
            for name, values in request.GET.lists()
            for value in [name, *values]
            if (problem := text_error(value))
        }
        # No API parameter is a list (tags are comma-separated): a repeated one is a mistake.
        errors.update(
            {name: ["Give this parameter once."] for name, values in request.GET.lists() if len(values) > 1}
        )
        if errors:
            return JsonResponse(errors, status=400)
        return None

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if is_database_unavailable(exception):
            logger.warning("database unavailable during %s %s: %s", request.method, request.path, exception)
            return database_unavailable_response()
        return None
