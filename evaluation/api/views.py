"""Read-only API over stored evaluation runs."""

from __future__ import annotations

from rest_framework import viewsets

from apikeys.access import Scope
from evaluation.api.serializers import EvalRunDetailSerializer, EvalRunSerializer
from evaluation.models import EvalRun


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
