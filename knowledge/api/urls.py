from __future__ import annotations

from django.urls import path
from rest_framework.routers import DefaultRouter

from knowledge.api.views import DocumentViewSet, KnowledgeSearchView

router = DefaultRouter(trailing_slash=True)
router.register("documents", DocumentViewSet, basename="document")

urlpatterns = [path("search", KnowledgeSearchView.as_view(), name="knowledge-search"), *router.urls]
