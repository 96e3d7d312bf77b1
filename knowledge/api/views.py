"""Knowledge API: document CRUD (reindexed in the background) and search."""

from __future__ import annotations

from django.db.models import Count
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from knowledge.api.serializers import DocumentSerializer, SearchQuerySerializer, SearchResponseSerializer
from knowledge.models import Document
from knowledge.search import search_knowledge
from knowledge.services import document_save


class IsStaffOrReadOnly(BasePermission):
    """Any API user may read the knowledge base; only staff may change it."""

    def has_permission(self, request: Request, view: object) -> bool:
        if request.method in SAFE_METHODS:
            return bool(request.user and request.user.is_authenticated)
        return bool(request.user and request.user.is_staff)


class DocumentViewSet(viewsets.ModelViewSet):
    """Knowledge documents; creating or editing one schedules its reindex after commit."""

    serializer_class = DocumentSerializer
    permission_classes = [IsStaffOrReadOnly]
    lookup_field = "slug"
    filterset_fields = ["category", "language", "is_active", "index_status"]
    search_fields = ["slug", "title", "body"]
    ordering_fields = ["slug", "updated_at"]

    def get_queryset(self):
        return (
            Document.objects.select_related("translation_of")
            .annotate(chunk_count=Count("chunks"))
            .order_by("slug")
        )

    def perform_create(self, serializer: DocumentSerializer) -> None:
        serializer.instance = document_save(Document(**serializer.validated_data))

    def perform_update(self, serializer: DocumentSerializer) -> None:
        document = serializer.instance
        for name, value in serializer.validated_data.items():
            setattr(document, name, value)
        serializer.instance = document_save(document)


class KnowledgeSearchView(APIView):
    """Search the knowledge base: hybrid (vector + full text), vector-only or text-only."""

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
