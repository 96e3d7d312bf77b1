"""API keys: hashed (djangorestframework-api-key's scheme), scoped, optionally expiring, revocable."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from rest_framework_api_key.models import AbstractAPIKey

from apikeys.access import DEFAULT_SCOPES


def default_scopes() -> list[str]:
    return list(DEFAULT_SCOPES)


class ApiKey(AbstractAPIKey):
    """A client's key. Only its prefix and a SHA-512 hash of the whole key are stored.

    Requests made with it act as ``user`` (idempotency keys are per user and key), limited to
    ``scopes``; conversations it creates are linked to it.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys")
    scopes = models.JSONField(default=default_scopes, blank=True)

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "API key"
        verbose_name_plural = "API keys"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
