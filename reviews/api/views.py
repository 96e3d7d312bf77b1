"""Reviews API: the review queue, and approving, rejecting and reporting drafts.

Views parse, call one service and shape the output; errors are raised and mapped to statuses by
``salesagent/exceptions.py``.
"""

from __future__ import annotations

import django_filters
from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from apikeys.access import Scope
from apikeys.authentication import request_access
from conversations.models import ActionableOutput
from reviews.api.serializers import (
    ApproveSerializer,
    DraftDetailSerializer,
    DraftSerializer,
    FeedbackInSerializer,
    FeedbackSerializer,
    RejectSerializer,
)
from reviews.models import Feedback
from reviews.selectors import DraftState, review_queue, review_queue_filter
from reviews.services import DraftNotFound, draft_approve, draft_reject, feedback_create
from salesagent.api_fields import StrictFilterBackend, object_id_in

STATE_ALL = "all"
PRIORITIES = [("high", "High"), ("medium", "Medium"), ("low", "Low")]
SENTIMENTS = [("positive", "Positive"), ("neutral", "Neutral"), ("negative", "Negative")]
DECIDE_RESPONSES = {
    200: OpenApiResponse(DraftDetailSerializer, description="The decided draft, with its decision"),
    404: OpenApiResponse(description="No such draft (or the key may not see its conversation)"),
    409: OpenApiResponse(
        description="The draft was already decided differently (code draft_already_decided), or the "
        "prospect has written since and the draft is stale (code draft_superseded)"
    ),
}


class DraftFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(
        choices=[*DraftState.CHOICES, (STATE_ALL, "All")],
        method="filter_state",
        help_text="pending (the default), superseded, approved, rejected, or all.",
    )
    intent = django_filters.CharFilter(field_name="analysis__intent")
    priority = django_filters.ChoiceFilter(field_name="analysis__priority", choices=PRIORITIES)
    sentiment = django_filters.ChoiceFilter(field_name="analysis__sentiment", choices=SENTIMENTS)
    flagged = django_filters.BooleanFilter(help_text="Next steps include FLAG_FOR_HUMAN_REVIEW.")
    degraded = django_filters.BooleanFilter()
    low_confidence = django_filters.BooleanFilter(help_text="Confidence below the review threshold.")

    class Meta:
        model = ActionableOutput
        fields = ["state", "intent", "priority", "sentiment", "flagged", "degraded", "low_confidence"]

    def filter_state(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset if value == STATE_ALL else queryset.filter(state=value)


class ReviewViewSet(viewsets.ReadOnlyModelViewSet):
    """Drafts awaiting a decision: flagged, low-confidence, degraded and negative turns first, then by
    priority (high, medium, low), then oldest first. Pending drafts unless ``state`` says otherwise."""

    filterset_class = DraftFilter
    # The queue has one order (review_queue's); no client ordering or free-text search.
    filter_backends = [StrictFilterBackend]
    required_scopes = {
        "list": Scope.REVIEWS_READ,
        "retrieve": Scope.REVIEWS_READ,
        "approve": Scope.REVIEWS_WRITE,
        "reject": Scope.REVIEWS_WRITE,
        "feedback": Scope.REVIEWS_WRITE,
    }

    def get_queryset(self) -> QuerySet[ActionableOutput]:
        queryset = review_queue(access=request_access(self.request))
        if self.action == "list" and "state" not in self.request.query_params:
            queryset = review_queue_filter(queryset, state=DraftState.PENDING)
        if self.action == "retrieve":
            queryset = queryset.prefetch_related(
                Prefetch("feedback", queryset=Feedback.objects.order_by("-created_at", "-id"))
            )
        return queryset

    def get_serializer_class(self) -> type:
        return DraftSerializer if self.action == "list" else DraftDetailSerializer

    def _draft_id(self) -> int:
        draft_id = object_id_in(str(self.kwargs["pk"]))
        if draft_id is None:
            raise DraftNotFound(self.kwargs["pk"])
        return draft_id

    def _decided(self, draft_id: int, replayed: bool, code: int = status.HTTP_200_OK) -> Response:
        draft = self.get_queryset().get(pk=draft_id)
        headers = {"Idempotent-Replayed": "true"} if replayed else {}
        return Response(DraftDetailSerializer(draft).data, status=code, headers=headers)

    @extend_schema(request=ApproveSerializer, responses=DECIDE_RESPONSES)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        """Approve the draft, as written or with ``text`` edited: the reply is recorded in the conversation
        and delivered to the client's webhook. Repeating the same approval changes and sends nothing."""
        draft_id = self._draft_id()
        serializer = ApproveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        outcome = draft_approve(
            access=request_access(request), output_id=draft_id, text=serializer.validated_data.get("text")
        )
        return self._decided(draft_id, outcome.replayed)

    @extend_schema(request=RejectSerializer, responses=DECIDE_RESPONSES)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        """Reject the draft with a reason: nothing is recorded in the conversation or sent."""
        draft_id = self._draft_id()
        serializer = RejectSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        draft_reject(
            access=request_access(request), output_id=draft_id, reason=serializer.validated_data["reason"]
        )
        return self._decided(draft_id, replayed=False)

    @extend_schema(
        request=FeedbackInSerializer,
        responses={
            201: FeedbackSerializer,
            404: OpenApiResponse(description="No such draft (or the key may not see its conversation)"),
        },
    )
    @action(detail=True, methods=["post"])
    def feedback(self, request: Request, pk: str | None = None) -> Response:
        """Report what was wrong with this AI message; ``corrected_text`` becomes evaluation data."""
        draft_id = self._draft_id()
        serializer = FeedbackInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        feedback = feedback_create(
            access=request_access(request), output_id=draft_id, **serializer.validated_data
        )
        return Response(FeedbackSerializer(feedback).data, status=status.HTTP_201_CREATED)
