"""Proposals API: the CRM changes turns proposed, and approving or rejecting them (crm/proposals.py).

Reading needs ``reviews:read``, deciding ``reviews:write``; deciding a proposal that was already
decided is a 409 (mapped in ``salesagent/exceptions.py``).
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from apikeys.access import Scope
from apikeys.authentication import request_access
from crm.api.serializers import ProposalDetailSerializer, ProposalRejectSerializer, ProposalSerializer
from crm.models import Proposal, ProposalAuditEntry
from crm.proposals import proposal_approve, proposal_reject
from salesagent.api_fields import ObjectIdFilter

DECIDED = OpenApiResponse(
    inline_serializer(
        "ProposalConflict",
        {
            "detail": serializers.CharField(),
            "code": serializers.CharField(help_text="proposal_already_decided"),
            "state": serializers.ChoiceField(choices=Proposal.State.choices),
        },
    ),
    description="The proposal was already decided (code proposal_already_decided, with its state)",
)


class ProposalFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=Proposal.State.choices)
    action = django_filters.ChoiceFilter(choices=Proposal.Action.choices)
    conversation = ObjectIdFilter(field_name="conversation_id")

    class Meta:
        model = Proposal
        fields = ["state", "action", "conversation", "prospect_id"]


class ProposalViewSet(viewsets.ReadOnlyModelViewSet):
    """CRM changes proposed by turns' next steps, newest first; approve or reject pending ones."""

    filterset_class = ProposalFilter
    ordering_fields = ["created_at", "decided_at"]
    required_scopes = {
        "list": Scope.REVIEWS_READ,
        "retrieve": Scope.REVIEWS_READ,
        "approve": Scope.REVIEWS_WRITE,
        "reject": Scope.REVIEWS_WRITE,
    }

    def get_queryset(self) -> QuerySet[Proposal]:
        queryset = Proposal.objects.order_by("-created_at", "-id")
        if self.action != "list":
            entries = ProposalAuditEntry.objects.order_by("created_at", "id")
            queryset = queryset.prefetch_related(Prefetch("audit_entries", queryset=entries))
        return queryset

    def get_serializer_class(self) -> type:
        return ProposalSerializer if self.action == "list" else ProposalDetailSerializer

    def _detail(self, proposal: Proposal) -> Response:
        return Response(ProposalDetailSerializer(self.get_queryset().get(pk=proposal.pk)).data)

    @extend_schema(request=None, responses={200: ProposalDetailSerializer, 409: DECIDED})
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        """Approve a pending proposal: it is applied to the CRM by a background task."""
        proposal = proposal_approve(access=request_access(request), proposal=self.get_object())
        return self._detail(proposal)

    @extend_schema(request=ProposalRejectSerializer, responses={200: ProposalDetailSerializer, 409: DECIDED})
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        """Reject a pending proposal with a reason; nothing is written to the CRM."""
        serializer = ProposalRejectSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data: dict[str, Any] = serializer.validated_data
        proposal = proposal_reject(
            access=request_access(request), proposal=self.get_object(), reason=data["reason"]
        )
        return self._detail(proposal)
