"""Liveness and readiness probes, and the API documentation."""

from __future__ import annotations

import pytest


def test_healthz_answers_without_authentication(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_reports_the_database_and_pgvector_version(client):
    body = client.get("/readyz").json()
    assert body["status"] == "ok"
    assert body["pgvector"].startswith("0.")


@pytest.mark.django_db
def test_api_docs_serve_their_assets_locally(api_client):
    page = api_client.get("/api/docs/").content.decode()

    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "cdn." not in page


@pytest.mark.django_db
def test_openapi_schema_documents_the_turn_endpoints(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    assert "/api/process_message" in schema["paths"]
    turns = schema["paths"]["/api/conversations/{id}/turns/"]["post"]
    assert {"Idempotency-Key"} <= {param["name"] for param in turns["parameters"]}
