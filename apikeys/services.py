"""Writes and look-ups for API keys: create (the secret is returned once), revoke, authenticate."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction

from apikeys.access import ALL_SCOPES, DEFAULT_SCOPES, Access
from apikeys.models import ApiKey

# Keys made before scoped keys existed were 40 hex characters without a dot; their first 8 are
# their stored prefix (migration 0002), so clients that still send them keep working.
LEGACY_PREFIX_LENGTH = 8


class InvalidApiKey(LookupError):
    """The key is unknown, revoked or expired (``reason`` says which, for the 401 body)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def check_scopes(scopes: Iterable[str]) -> list[str]:
    """The scopes, de-duplicated in a stable order; ValueError names any unknown one."""
    wanted = list(dict.fromkeys(scope.strip() for scope in scopes if scope.strip()))
    unknown = sorted(set(wanted) - ALL_SCOPES)
    if unknown:
        raise ValueError(f"unknown scope(s): {', '.join(unknown)}; known: {', '.join(sorted(ALL_SCOPES))}")
    return wanted


@transaction.atomic
def api_key_save_new(*, api_key: ApiKey) -> str:
    """Store a new key built elsewhere (the admin's form); returns its secret, shown once."""
    api_key.scopes = check_scopes(api_key.scopes or [])
    secret = ApiKey.objects.assign_key(api_key)
    api_key.save()
    return secret


def api_key_create(
    *,
    user: User,
    name: str,
    scopes: Iterable[str] = DEFAULT_SCOPES,
    expires_at: datetime | None = None,
) -> tuple[ApiKey, str]:
    """Create a key for ``user``; returns (stored key, the full secret key: shown once, never stored)."""
    api_key = ApiKey(user=user, name=name[:50], scopes=list(scopes), expiry_date=expires_at)
    return api_key, api_key_save_new(api_key=api_key)


def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    """Revoke a key for good: requests with it get 401 from now on."""
    ApiKey.objects.filter(pk=api_key.pk).update(revoked=True)
    api_key.refresh_from_db()
    return api_key


def api_key_authenticate(*, secret: str) -> ApiKey:
    """The usable key whose secret this is (with its user), or :class:`InvalidApiKey`."""
    prefix = secret.partition(".")[0] if "." in secret else secret[:LEGACY_PREFIX_LENGTH]
    if not prefix or len(prefix) > LEGACY_PREFIX_LENGTH:
        raise InvalidApiKey("Invalid API key.")
    api_key = ApiKey.objects.select_related("user").filter(prefix=prefix).first()
    if api_key is None or not api_key.is_valid(secret):
        raise InvalidApiKey("Invalid API key.")
    if api_key.revoked:
        raise InvalidApiKey("This API key has been revoked.")
    if api_key.has_expired:
        raise InvalidApiKey("This API key has expired.")
    if not api_key.user.is_active:
        raise InvalidApiKey("This API key's user is inactive.")
    return api_key


def access_for_key(api_key: ApiKey) -> Access:
    """What requests made with this key may do."""
    return Access(
        scopes=frozenset(api_key.scopes or ()) & ALL_SCOPES,
        user_id=api_key.user_id,
        api_key_id=api_key.pk,
        label=f"key:{api_key.prefix}",
    )
