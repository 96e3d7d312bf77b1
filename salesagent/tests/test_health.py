"""Liveness and readiness probes."""

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
