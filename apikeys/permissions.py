"""Scope checks for API views: each view says which scope each of its actions needs."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from apikeys.access import ScopeDenied
from apikeys.authentication import request_access


def required_scopes(view: Any, request: Request) -> tuple[str, ...]:
    """Scopes of which the caller needs at least one: ``view.required_scopes`` maps an action (viewsets)
    or an HTTP method (plain views) to a scope or a tuple of alternatives. Anything unlisted is denied."""
    mapping: dict[str, str | tuple[str, ...]] = getattr(view, "required_scopes", {})
    action = getattr(view, "action", None)
    method = "GET" if request.method == "HEAD" else (request.method or "")
    needed = mapping.get(action or "") or mapping.get(method)
    if needed is None:
        return ()
    return (needed,) if isinstance(needed, str) else tuple(needed)


def _handles(view: Any, request: Request) -> bool:
    if hasattr(view, "action_map"):  # a viewset: the method maps to an action or it is not allowed
        return getattr(view, "action", None) is not None
    return hasattr(view, (request.method or "").lower())


class HasScope(BasePermission):
    """Authenticated, and holding a scope the view's action needs (a 403 names the scope)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        needed = required_scopes(view, request)
        if not needed:
            if not _handles(view, request):
                return True  # DRF answers 405 Method Not Allowed next
            raise ScopeDenied("(none grants this operation)")
        access = request_access(request)
        if not any(access.has(scope) for scope in needed):
            raise ScopeDenied(needed[0])
        return True
