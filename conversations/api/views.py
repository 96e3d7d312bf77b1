"""Conversations API: the turn endpoints and read access to stored conversations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Count, Prefetch
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from conversations.agent.types import HistoryMessage
from conversations.api.serializers import (
    ConversationDetailSerializer,
    ConversationListSerializer,
    ConversationTurnSerializer,
    MessageInSerializer,
    MessageSerializer,
    ProcessMessageSerializer,
    turn_response,
)
from conversations.idempotency import (
    MAX_KEY_LENGTH,
    IdempotencyKeyReused,
    TurnInProgress,
    request_fingerprint,
    turn_process_idempotent,
)
from conversations.models import AnalysisResult, Conversation, Message
from conversations.services import message_record, turn_answer, turn_receive

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    description="Retrying with the same key returns the stored response and creates nothing new.",
)
TURN_RESPONSES = {
    200: OpenApiResponse(description="The agent's analysis and proposal"),
    400: OpenApiResponse(description="Field errors; nothing was stored"),
    409: OpenApiResponse(description="A request with this Idempotency-Key is still being answered"),
    422: OpenApiResponse(description="This Idempotency-Key was used with a different request"),
}


def answer_turn(request: Request, receive: Callable[[], Message]) -> Response:
    """Store and answer a turn, once per Idempotency-Key when the client sends one."""
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key:
        return Response(turn_response(turn_answer(message=receive())), status=status.HTTP_200_OK)
    if len(key) > MAX_KEY_LENGTH:
        raise ValidationError({"Idempotency-Key": [f"At most {MAX_KEY_LENGTH} characters."]})
    try:
        body, replayed = turn_process_idempotent(
            user_id=request.user.pk,
            key=key,
            fingerprint=request_fingerprint(request.path, request.data),
            receive=receive,
            render=turn_response,
        )
    except IdempotencyKeyReused:
        return Response(
            {"detail": "This Idempotency-Key was already used with a different request body."},
            status=status.HTTP_422_UNPROCESSABLE_ENTITY,
        )
    except TurnInProgress:
        return Response(
            {"detail": "A request with this Idempotency-Key is still being answered; retry shortly."},
            status=status.HTTP_409_CONFLICT,
        )
    headers = {"Idempotent-Replayed": "true"} if replayed else {}
    return Response(body, status=status.HTTP_200_OK, headers=headers)


class ProcessMessageView(APIView):
    """Analyse a prospect's message and return a grounded reply draft and next steps."""

    @extend_schema(
        request=ProcessMessageSerializer, parameters=[IDEMPOTENCY_HEADER], responses=TURN_RESPONSES
    )
    def post(self, request: Request) -> Response:
        serializer = ProcessMessageSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data: dict[str, Any] = serializer.validated_data
        current = data["current_prospect_message"]

        def receive() -> Message:
            return turn_receive(
                message=current["content"],
                message_timestamp=current.get("timestamp"),
                history=[
                    HistoryMessage(item["sender"], item["content"], item.get("timestamp"))
                    for item in data.get("conversation_history", [])
                ],
                prospect_id=data.get("prospect_id"),
                conversation_id=data.get("conversation_id"),
            )

        return answer_turn(request, receive)


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

    @extend_schema(
        request=ConversationTurnSerializer, parameters=[IDEMPOTENCY_HEADER], responses=TURN_RESPONSES
    )
    @action(detail=True, methods=["post"])
    def turns(self, request: Request, pk: str | None = None) -> Response:
        """Answer a new prospect message in this conversation, with its stored history as context."""
        conversation = self.get_object()
        serializer = ConversationTurnSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        current = serializer.validated_data["current_prospect_message"]
        return answer_turn(
            request,
            lambda: turn_receive(
                message=current["content"],
                message_timestamp=current.get("timestamp"),
                conversation_id=conversation.pk,
            ),
        )

    @extend_schema(request=MessageInSerializer, responses={201: MessageSerializer})
    @action(detail=True, methods=["post"])
    def messages(self, request: Request, pk: str | None = None) -> Response:
        """Record a message, e.g. the agent's reply once it was actually sent to the prospect."""
        conversation = self.get_object()
        serializer = MessageInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        message = message_record(conversation=conversation, **serializer.validated_data)
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)
