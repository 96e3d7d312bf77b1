"""URL configuration: admin, the REST API, its schema/docs, health probes, metrics and staff pages."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from salesagent.health import healthz, readyz
from salesagent.metrics_views import metrics_view

# The admin is the staff's workplace (review queue, proposals, knowledge, CRM), not a developer's tool.
admin.site.site_header = "Sales agent"
admin.site.site_title = "Sales agent staff"
admin.site.index_title = "Staff administration"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("conversations.api.urls")),
    path("api/knowledge/", include("knowledge.api.urls")),
    path("api/crm/", include("crm.api.urls")),
    path("api/", include("crm.api.proposal_urls")),
    path("api/evaluation/", include("evaluation.api.urls")),
    path("api/", include("reviews.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file, so the CSP needs no inline scripts.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("playground/", include("conversations.urls")),
    path("evaluation/", include("evaluation.urls")),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    path("", include("home.urls")),
]

# Errors outside DRF: JSON under /api/, and a database outage is a JSON 503 everywhere.
handler400 = "salesagent.exceptions.bad_request"
handler404 = "salesagent.exceptions.page_not_found"
handler500 = "salesagent.exceptions.server_error"
