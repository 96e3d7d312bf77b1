"""Knowledge API: document CRUD (reindexed in the background) and search."""

from __future__ import annotations

from typing import Any, cast

from django.db.models import Count, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from apikeys.access import Scope
from apikeys.authentication import request_access
from knowledge.api.serializers import DocumentSerializer, SearchQuerySerializer, SearchResponseSerializer
from knowledge.models import Document
from knowledge.search import search_knowledge
from knowledge.services import document_delete, document_save


class DocumentViewSet(viewsets.ModelViewSet):
    """Knowledge documents; creating or editing one schedules its reindex after commit."""

    serializer_class = DocumentSerializer
    lookup_field = "slug"
    lookup_value_regex = "[-a-zA-Z0-9_]+"
    required_scopes = {
        "list": Scope.KNOWLEDGE_READ,
        "retrieve": Scope.KNOWLEDGE_READ,
        "create": Scope.KNOWLEDGE_WRITE,
        "update": Scope.KNOWLEDGE_WRITE,
        "partial_update": Scope.KNOWLEDGE_WRITE,
        "destroy": Scope.KNOWLEDGE_WRITE,
    }
    filterset_fields = ["category", "language", "is_active", "index_status"]
    search_fields = ["slug", "title", "body"]
    ordering_fields = ["slug", "updated_at"]

    def get_queryset(self) -> QuerySet[Document]:
        return (
            Document.objects.select_related("translation_of")
            .annotate(chunk_count=Count("chunks"))
            .order_by("slug")
        )

    def _reloaded(self, document: Document) -> Document:
        # The response shows chunk_count, an annotation the saved instance does not carry.
        return self.get_queryset().get(pk=document.pk)

    def perform_create(self, serializer: BaseSerializer[Any]) -> None:
        document = document_save(Document(**serializer.validated_data), access=request_access(self.request))
        serializer.instance = self._reloaded(document)

    def perform_update(self, serializer: BaseSerializer[Any]) -> None:
        document = cast(Document, serializer.instance)
        for name, value in serializer.validated_data.items():
            setattr(document, name, value)
        serializer.instance = self._reloaded(document_save(document, access=request_access(self.request)))

    def perform_destroy(self, instance: Document) -> None:
        document_delete(document=instance, access=request_access(self.request))


class KnowledgeSearchView(APIView):
    """Search the knowledge base: hybrid (vector + full text), vector-only or text-only."""

    required_scopes = {"GET": Scope.KNOWLEDGE_READ}

    @extend_schema(parameters=[SearchQuerySerializer], responses=SearchResponseSerializer)
    def get(self, request: Request) -> Response:
        params = SearchQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        tags = [t.strip() for t in data.get("tags", "").split(",") if t.strip()]
        results = search_knowledge(
            data["q"],
            k=data["k"],
            mode=data["mode"],
            category=data.get("category") or None,
            tags=tags or None,
            document=data.get("document") or None,
            language=data["language"],
        )
        return Response(
            {
                "query": data["q"],
                "mode": data["mode"],
                "language": data["language"],
                "count": len(results),
                "results": [r.as_dict() for r in results],
            }
        )
