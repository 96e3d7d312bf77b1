"""OpenAPI description of API-key authentication (drf-spectacular extension, loaded by the app config)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "apikeys.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <key>`: create keys with `create_api_token` or in the admin. Each key "
            "has scopes: turns:write, conversations:read, knowledge:read, knowledge:write, crm:read, "
            "crm:write, evaluation:read, reviews:read, reviews:write.",
        }
