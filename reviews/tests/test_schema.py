"""The OpenAPI schema documents the reviews endpoints and the metrics endpoint, with their errors."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(staff_api_client) -> dict:
    response = staff_api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def test_review_endpoints_declare_their_statuses(schema):
    paths = schema["paths"]

    listing = paths["/api/reviews/"]["get"]
    assert {"state", "intent", "priority", "sentiment", "flagged", "degraded", "low_confidence", "page"} <= {
        param["name"] for param in listing["parameters"]
    }
    assert {"200", "400", "401", "403"} <= set(listing["responses"])
    for action in ("approve", "reject"):
        operation = paths[f"/api/reviews/{{id}}/{action}/"]["post"]
        assert {"200", "400", "401", "403", "404", "409"} <= set(operation["responses"])
        assert "draft_already_decided" in operation["responses"]["409"]["description"]
    feedback = paths["/api/reviews/{id}/feedback/"]["post"]
    assert {"201", "400", "404"} <= set(feedback["responses"])
    metrics = paths["/api/evaluation/review-metrics/"]["get"]
    assert {"200", "400", "401", "403"} <= set(metrics["responses"])
    assert "since" in {param["name"] for param in metrics["parameters"]}
