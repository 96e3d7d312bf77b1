"""CRM API: prospects (editable by staff) with their interactions."""

from __future__ import annotations

from rest_framework import viewsets

from crm.api.serializers import ProspectDetailSerializer, ProspectSerializer
from crm.client import invalidate_prospect_cache
from crm.models import Prospect


class ProspectViewSet(viewsets.ModelViewSet):
    lookup_field = "external_id"
    filterset_fields = ["stage", "industry"]
    search_fields = ["external_id", "name", "company", "email"]
    ordering_fields = ["external_id", "lead_score", "last_contacted_at"]

    def get_queryset(self):
        queryset = Prospect.objects.order_by("external_id")
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("interactions")
        return queryset

    def get_serializer_class(self):
        return ProspectDetailSerializer if self.action == "retrieve" else ProspectSerializer

    def perform_update(self, serializer: ProspectSerializer) -> None:
        previous_id = serializer.instance.external_id
        prospect = serializer.save()
        invalidate_prospect_cache(previous_id)
        invalidate_prospect_cache(prospect.external_id)

    def perform_destroy(self, instance: Prospect) -> None:
        invalidate_prospect_cache(instance.external_id)
        instance.delete()
