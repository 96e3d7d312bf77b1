"""CRM API: prospects with their interactions; writes need crm:write and go through crm/services.py."""

from __future__ import annotations

from typing import Any, cast

from django.db.models import QuerySet
from rest_framework import viewsets
from rest_framework.serializers import BaseSerializer

from apikeys.access import Scope
from apikeys.authentication import request_access
from crm.api.serializers import ProspectDetailSerializer, ProspectSerializer
from crm.models import Prospect
from crm.services import prospect_create, prospect_delete, prospect_update


class ProspectViewSet(viewsets.ModelViewSet):
    lookup_field = "external_id"
    lookup_value_regex = "[^/]+"
    filterset_fields = ["stage", "industry"]
    search_fields = ["external_id", "name", "company", "email"]
    ordering_fields = ["external_id", "lead_score", "last_contacted_at"]
    required_scopes = {
        "list": Scope.CRM_READ,
        "retrieve": Scope.CRM_READ,
        "create": Scope.CRM_WRITE,
        "update": Scope.CRM_WRITE,
        "partial_update": Scope.CRM_WRITE,
        "destroy": Scope.CRM_WRITE,
    }

    def get_queryset(self) -> QuerySet[Prospect]:
        queryset = Prospect.objects.order_by("external_id")
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("interactions")
        return queryset

    def get_serializer_class(self) -> type:
        return ProspectDetailSerializer if self.action == "retrieve" else ProspectSerializer

    def perform_create(self, serializer: BaseSerializer[Any]) -> None:
        serializer.instance = prospect_create(
            access=request_access(self.request), **serializer.validated_data
        )

    def perform_update(self, serializer: BaseSerializer[Any]) -> None:
        serializer.instance = prospect_update(
            access=request_access(self.request),
            prospect=cast(Prospect, serializer.instance),
            **serializer.validated_data,
        )

    def perform_destroy(self, instance: Prospect) -> None:
        prospect_delete(access=request_access(self.request), prospect=instance)
