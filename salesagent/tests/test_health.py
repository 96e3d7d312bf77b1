"""Liveness and readiness probes, and the API documentation."""

from __future__ import annotations

import pytest
from django.db import OperationalError

from salesagent import health, warmup


def test_healthz_answers_without_authentication(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_reports_the_database_and_pgvector_version(client, settings):
    settings.WARM_UP = False
    body = client.get("/readyz").json()
    assert body["status"] == "ok"
    assert body["pgvector"].startswith("0.")


@pytest.mark.django_db
def test_readyz_is_not_ready_until_the_process_is_warm(client, settings, not_warm, monkeypatch):
    # Given a process that has not loaded its models yet (a warm-up would start in the background)
    settings.WARM_UP = True
    started = []
    monkeypatch.setattr(health, "warm_up_in_background", lambda: started.append(True))

    before = client.get("/readyz")
    # When the warm-up has run
    assert warmup.warm_up() is True
    after = client.get("/readyz")

    # Then readiness flips only then
    assert before.status_code == 503
    assert before.json()["status"] == "warming_up"
    assert started == [True]
    assert after.status_code == 200
    assert after.json()["status"] == "ok"


def test_readyz_hides_the_database_error(client, monkeypatch):
    class BrokenCursor:
        def __enter__(self):
            raise OperationalError('connection to server on socket "/tmp/secret/.s.PGSQL.5432" failed')

        def __exit__(self, *args):
            return False

    monkeypatch.setattr(health.connection, "cursor", lambda: BrokenCursor())

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unreachable"}
    assert b"socket" not in response.content


@pytest.mark.django_db
def test_api_docs_serve_their_assets_locally(api_client):
    page = api_client.get("/api/docs/").content.decode()

    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "cdn." not in page
    assert "<script>" not in page, "the start-up script is a separate file, so the CSP allows it"


@pytest.mark.django_db
def test_openapi_schema_documents_the_turn_endpoints(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    assert "/api/process_message" in schema["paths"]
    turns = schema["paths"]["/api/conversations/{id}/turns/"]["post"]
    assert {"Idempotency-Key"} <= {param["name"] for param in turns["parameters"]}


@pytest.mark.django_db
def test_api_docs_link_back_to_the_staff_home(api_client):
    # When the API docs page is opened
    page = api_client.get("/api/docs/").content.decode()

    # Then it leads back to the staff home, and Swagger UI still mounts below the link
    assert '<a href="/"' in page
    assert 'id="swagger-ui"' in page
