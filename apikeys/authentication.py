"""DRF authentication with scoped API keys: ``Authorization: Token <key>`` (or ``Api-Key``/``Bearer``)."""

from __future__ import annotations

from typing import Any

from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from apikeys.access import Access
from apikeys.services import InvalidApiKey, access_for_key, api_key_authenticate

KEYWORDS = ("token", "api-key", "bearer")
MAX_KEY_LENGTH = 200


class ApiKeyAuthentication(BaseAuthentication):
    """Authenticates a request by its API key; ``request.auth`` is the key's :class:`Access`."""

    def authenticate(self, request: Request) -> tuple[Any, Access] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower().decode("latin-1") not in KEYWORDS:
            return None
        if len(parts) != 2 or len(parts[1]) > MAX_KEY_LENGTH:
            raise AuthenticationFailed("Invalid Authorization header: expected 'Token <key>'.")
        try:
            secret = parts[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise AuthenticationFailed("Invalid API key.") from exc
        try:
            api_key = api_key_authenticate(secret=secret)
        except InvalidApiKey as exc:
            raise AuthenticationFailed(exc.reason) from exc
        return api_key.user, access_for_key(api_key)

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (not 403) to requests without valid credentials.
        return 'Token realm="api"'


def request_access(request: Request) -> Access:
    """The caller's access: its key's scopes, or a signed-in user's (staff: every scope)."""
    if isinstance(request.auth, Access):
        return request.auth
    return Access.for_user(getattr(request, "user", None))
