"""Conversations API: the turn endpoint and read access to stored conversations."""

from __future__ import annotations

from django.db.models import Count, Prefetch
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from conversations.agent.types import HistoryMessage
from conversations.api.serializers import (
    ConversationDetailSerializer,
    ConversationListSerializer,
    ProcessMessageSerializer,
    turn_response,
)
from conversations.models import AnalysisResult, Conversation
from conversations.services import turn_process


class ProcessMessageView(APIView):
    """Analyse a prospect's message and return a grounded reply draft and next steps."""

    @extend_schema(
        request=ProcessMessageSerializer,
        responses={200: OpenApiResponse(description="The agent's analysis and proposal"), 400: None},
    )
    def post(self, request: Request) -> Response:
        serializer = ProcessMessageSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        current = data["current_prospect_message"]
        stored = turn_process(
            message=current["content"],
            message_timestamp=current.get("timestamp"),
            history=[
                HistoryMessage(item["sender"], item["content"], item.get("timestamp"))
                for item in data.get("conversation_history", [])
            ],
            prospect_id=data.get("prospect_id"),
            conversation_id=data.get("conversation_id"),
        )
        return Response(turn_response(stored), status=status.HTTP_200_OK)


class ConversationViewSet(viewsets.ReadOnlyModelViewSet):
    """Stored conversations; the detail view includes messages and analysed turns."""

    filterset_fields = ["external_prospect_id", "prospect"]
    search_fields = ["topic", "external_prospect_id"]
    ordering_fields = ["created_at", "updated_at"]

    def get_queryset(self):
        queryset = Conversation.objects.annotate(message_count=Count("messages")).order_by(
            "-updated_at", "-id"
        )
        if self.action == "retrieve":
            queryset = queryset.prefetch_related(
                "messages",
                Prefetch(
                    "analyses",
                    queryset=AnalysisResult.objects.select_related("output").order_by("created_at"),
                ),
            )
        return queryset

    def get_serializer_class(self):
        return ConversationDetailSerializer if self.action == "retrieve" else ConversationListSerializer
