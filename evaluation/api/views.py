"""Read-only API over stored evaluation runs, and the quality signal from reviewed drafts."""

from __future__ import annotations

from dataclasses import asdict

from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apikeys.access import Scope
from evaluation.api.serializers import (
    EvalRunDetailSerializer,
    EvalRunSerializer,
    ReviewMetricsQuerySerializer,
    ReviewMetricsSerializer,
)
from evaluation.models import EvalRun
from reviews.selectors import review_metrics


class EvalRunViewSet(viewsets.ReadOnlyModelViewSet):
    """Evaluation runs, newest first; the detail view includes every case's expected vs predicted."""

    filterset_fields = ["dataset_name", "brain"]
    required_scopes = {"list": Scope.EVALUATION_READ, "retrieve": Scope.EVALUATION_READ}
    ordering_fields = ["started_at", "id"]

    def get_queryset(self):
        queryset = EvalRun.objects.all()
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("case_results")
        return queryset

    def get_serializer_class(self):
        return EvalRunDetailSerializer if self.action == "retrieve" else EvalRunSerializer


class ReviewMetricsView(APIView):
    """The share of drafts reviewers sent unedited or with small edits, and the rejection rate: how
    good the agent's drafts are in real use (computed by ``reviews.selectors.review_metrics``)."""

    required_scopes = {"GET": Scope.EVALUATION_READ}

    @extend_schema(parameters=[ReviewMetricsQuerySerializer], responses=ReviewMetricsSerializer)
    def get(self, request: Request) -> Response:
        query = ReviewMetricsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        metrics = review_metrics(since=query.validated_data.get("since"))
        return Response(ReviewMetricsSerializer(asdict(metrics)).data)
