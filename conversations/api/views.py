"""Conversations API: the turn endpoints and read access to stored conversations.

Views parse, call one service and shape the output; errors are raised and mapped to statuses by
``salesagent/exceptions.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import django_filters
from django.conf import settings
from django.db.models import Count, Prefetch, QuerySet
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apikeys.access import Scope
from apikeys.authentication import request_access
from conversations.agent.types import HistoryMessage
from conversations.api.serializers import (
    ConversationDetailSerializer,
    ConversationListSerializer,
    ConversationTurnSerializer,
    MessageInSerializer,
    MessageSerializer,
    ProcessMessageSerializer,
    TurnOutputSerializer,
    TurnSerializer,
)
from conversations.idempotency import MAX_KEY_LENGTH, request_fingerprint, turn_process_idempotent
from conversations.models import AnalysisResult, Conversation, Message
from conversations.selectors import conversations_visible_to
from conversations.services import message_record, turn_receive
from salesagent.api_fields import ObjectIdFilter
from salesagent.parsers import text_error

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    description="Retrying with the same key returns the stored response and creates nothing new.",
)
TURN_RESPONSES = {
    200: OpenApiResponse(TurnOutputSerializer, description="The agent's analysis and proposal"),
    400: OpenApiResponse(description="Field errors; nothing was stored"),
    404: OpenApiResponse(description="No such conversation (or the key may not see it)"),
    409: OpenApiResponse(
        description="A request with this Idempotency-Key is still being answered (retry after Retry-After), "
        "or the conversation is full (code conversation_full)"
    ),
    422: OpenApiResponse(description="This Idempotency-Key was used with a different request"),
}
READ_CONVERSATIONS = (Scope.CONVERSATIONS_READ, Scope.TURNS_WRITE)


class ConversationFilter(django_filters.FilterSet):
    # By id, without checking that the prospect exists: an unknown id simply matches nothing.
    prospect = ObjectIdFilter(field_name="prospect_id")

    class Meta:
        model = Conversation
        fields = ["external_prospect_id", "prospect"]


def _idempotency_key(request: Request) -> str | None:
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key:
        return None
    if len(key) > MAX_KEY_LENGTH:
        raise ValidationError({"Idempotency-Key": [f"At most {MAX_KEY_LENGTH} characters."]})
    problem = text_error(key)
    if problem:
        raise ValidationError({"Idempotency-Key": [problem]})
    return key


def answer_turn(request: Request, receive: Callable[[], Message]) -> Response:
    """Store and answer a turn once (per Idempotency-Key, or per identical request while unanswered)."""
    analysis, replayed = turn_process_idempotent(
        access=request_access(request),
        user_id=int(request.user.pk or 0),  # authenticated: HasScope let the request through
        key=_idempotency_key(request),
        fingerprint=request_fingerprint(request.path, request.data),
        receive=receive,
    )
    headers = {"Idempotent-Replayed": "true"} if replayed else {}
    return Response(TurnOutputSerializer(analysis).data, status=status.HTTP_200_OK, headers=headers)


class ProcessMessageView(APIView):
    """Analyse a prospect's message and return a grounded reply draft and next steps."""

    required_scopes = {"POST": Scope.TURNS_WRITE}
    throttle_scope = "turns"

    @extend_schema(
        request=ProcessMessageSerializer, parameters=[IDEMPOTENCY_HEADER], responses=TURN_RESPONSES
    )
    def post(self, request: Request) -> Response:
        serializer = ProcessMessageSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data: dict[str, Any] = serializer.validated_data
        current = data["current_prospect_message"]
        access = request_access(request)

        def receive() -> Message:
            return turn_receive(
                access=access,
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
    """Stored conversations (a key without conversations:read sees those it created); the detail view
    includes the latest messages and analysed turns."""

    filterset_class = ConversationFilter
    search_fields = ["topic", "external_prospect_id"]
    ordering_fields = ["created_at", "updated_at"]
    required_scopes = {
        "list": READ_CONVERSATIONS,
        "retrieve": READ_CONVERSATIONS,
        "message_list": READ_CONVERSATIONS,
        "turn_list": READ_CONVERSATIONS,
        "turns": Scope.TURNS_WRITE,
        "messages": Scope.TURNS_WRITE,
    }

    def get_throttles(self) -> list[Any]:
        self.throttle_scope = "turns" if self.action == "turns" else ""
        return super().get_throttles()

    def get_queryset(self) -> QuerySet[Conversation]:
        queryset = (
            conversations_visible_to(request_access(self.request))
            .annotate(message_count=Count("messages"))
            .order_by("-updated_at", "-id")
        )
        if self.action == "retrieve":
            latest = settings.CONVERSATION_DETAIL_MESSAGES
            queryset = queryset.prefetch_related(
                Prefetch(
                    "messages",
                    queryset=Message.objects.order_by("-timestamp", "-id")[:latest],
                    to_attr="recent_messages",
                ),
                Prefetch(
                    "analyses",
                    queryset=AnalysisResult.objects.select_related("output").order_by("-created_at", "-id")[
                        :latest
                    ],
                    to_attr="recent_turns",
                ),
            )
        return queryset

    def get_serializer_class(self) -> type:
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
        access = request_access(request)
        return answer_turn(
            request,
            lambda: turn_receive(
                access=access,
                message=current["content"],
                message_timestamp=current.get("timestamp"),
                conversation_id=conversation.pk,
            ),
        )

    @extend_schema(responses=TurnSerializer(many=True), filters=False)
    @turns.mapping.get
    def turn_list(self, request: Request, pk: str | None = None) -> Response:
        """Every analysed turn of this conversation, oldest first, paginated."""
        conversation = self.get_object()
        turns = AnalysisResult.objects.filter(conversation=conversation).select_related("output")
        page = self.paginate_queryset(turns.order_by("created_at", "id"))
        return self.get_paginated_response(TurnSerializer(page, many=True).data)

    @extend_schema(request=MessageInSerializer, responses={201: MessageSerializer})
    @action(detail=True, methods=["post"])
    def messages(self, request: Request, pk: str | None = None) -> Response:
        """Record a message, e.g. the agent's reply once it was actually sent to the prospect."""
        conversation = self.get_object()
        serializer = MessageInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        message = message_record(
            access=request_access(request), conversation=conversation, **serializer.validated_data
        )
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=MessageSerializer(many=True), filters=False)
    @messages.mapping.get
    def message_list(self, request: Request, pk: str | None = None) -> Response:
        """Every message of this conversation, oldest first, paginated."""
        conversation = self.get_object()
        page = self.paginate_queryset(conversation.messages.order_by("timestamp", "id"))
        return self.get_paginated_response(MessageSerializer(page, many=True).data)
