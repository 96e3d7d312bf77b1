"""Admin for reviewing drafts: the queue ("Drafts to review") with its quality summary, a review page
per draft with Approve / Approve with edits / Reject and a feedback form, and the delivery log.

The review page's controls have stable ids and names (``review-draft``, ``_approve``,
``_approve_edited``, ``_reject``, ``_feedback``): browser tests drive them. Every decision goes through
``reviews/services.py`` as the signed-in user (``Access.for_user``).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.timesince import timesince

from apikeys.access import Access, ScopeDenied
from conversations.models import ActionableOutput, Intent
from conversations.services import ConversationFull
from conversations.turn_display import turn_view, yes_no
from reviews.models import Delivery, DeliveryAttempt, DraftReview, Feedback, ReviewDecision, WebhookEndpoint
from reviews.selectors import (
    PRIORITY_ORDER,
    DraftState,
    conversation_before,
    flag_reasons,
    review_metrics,
    review_queue,
)
from reviews.services import (
    DraftAlreadyDecided,
    DraftNotFound,
    DraftSuperseded,
    draft_approve,
    draft_reject,
    feedback_create,
    webhook_endpoint_save,
)

ALL = "all"


class StateFilter(admin.SimpleListFilter):
    """Pending drafts unless another state (or all) is chosen: the queue is what awaits a decision."""

    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [*DraftState.CHOICES, (ALL, "All")]

    def choices(self, changelist: Any) -> Any:
        current = self.value() or DraftState.PENDING
        for value, label in self.lookup_choices:
            yield {
                "selected": current == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value() or DraftState.PENDING
        return queryset if value == ALL else queryset.filter(state=value)


class _ChoiceFilter(admin.SimpleListFilter):
    field_name = ""
    options: list[tuple[str, str]] = []

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return self.options

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        return queryset.filter(**{self.field_name: value}) if value else queryset


class IntentFilter(_ChoiceFilter):
    title = "intent"
    parameter_name = "intent"
    field_name = "analysis__intent"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(name, name) for name in Intent.objects.order_by("name").values_list("name", flat=True)]


class PriorityFilter(_ChoiceFilter):
    title = "priority"
    parameter_name = "priority"
    field_name = "analysis__priority"
    options = [(name, name.capitalize()) for name in PRIORITY_ORDER]


class SentimentFilter(_ChoiceFilter):
    title = "sentiment"
    parameter_name = "sentiment"
    field_name = "analysis__sentiment"
    options = [(name, name.capitalize()) for name in ("positive", "neutral", "negative")]


class _YesNoFilter(admin.SimpleListFilter):
    field_name = ""

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        return queryset.filter(**{self.field_name: value == "yes"}) if value in {"yes", "no"} else queryset


class FlaggedFilter(_YesNoFilter):
    title = "flagged for review"
    parameter_name = "flagged"
    field_name = "flagged"


class DegradedFilter(_YesNoFilter):
    title = "degraded"
    parameter_name = "degraded"
    field_name = "degraded"


class LowConfidenceFilter(_YesNoFilter):
    title = "confidence below threshold"
    parameter_name = "low_confidence"
    field_name = "low_confidence"


@admin.register(DraftReview)
class DraftReviewAdmin(admin.ModelAdmin):
    """The review queue, ordered as ``reviews.selectors.review_queue`` orders it."""

    list_display = ("draft", "prospect", "intent", "priority", "confidence", "reasons", "age", "state_label")
    list_display_links = ("draft",)
    list_filter = (
        StateFilter,
        IntentFilter,
        PriorityFilter,
        FlaggedFilter,
        DegradedFilter,
        SentimentFilter,
        LowConfidenceFilter,
    )
    search_fields = ("analysis__message__content", "analysis__conversation__external_prospect_id")
    # No ordering of its own: the queue's order (attention, priority, age) comes from the selector.
    ordering = ()
    list_per_page = 50
    change_list_template = "admin/reviews/draftreview/change_list.html"
    review_template = "admin/reviews/draftreview/review.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[ActionableOutput]:
        return review_queue(queryset=DraftReview.objects.all())

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description="draft")
    def draft(self, obj: ActionableOutput) -> str:
        text = obj.response_text
        return f"#{obj.pk}: {text[:40]}…" if len(text) > 40 else f"#{obj.pk}: {text}"

    @admin.display(description="prospect")
    def prospect(self, obj: ActionableOutput) -> str:
        conversation = obj.analysis.conversation
        if conversation.prospect:
            return f"{conversation.prospect.name} ({conversation.external_prospect_id})"
        return conversation.external_prospect_id or "(unknown)"

    @admin.display(description="intent")
    def intent(self, obj: ActionableOutput) -> str:
        return obj.analysis.intent

    @admin.display(description="priority")
    def priority(self, obj: ActionableOutput) -> str:
        return obj.analysis.priority

    @admin.display(description="confidence")
    def confidence(self, obj: ActionableOutput) -> str:
        return f"{obj.analysis.confidence:.2f}"

    @admin.display(description="flag reasons")
    def reasons(self, obj: ActionableOutput) -> str:
        return "; ".join(flag_reasons(obj)) or "—"

    @admin.display(description="age")
    def age(self, obj: ActionableOutput) -> str:
        return timesince(obj.created_at, timezone.now())

    @admin.display(description="state")
    def state_label(self, obj: ActionableOutput) -> str:
        return str(getattr(obj, "state", ""))

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        context = {"title": "Drafts to review", **(extra_context or {}), "review_metrics": review_metrics()}
        return super().changelist_view(request, extra_context=context)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        draft = self.get_queryset(request).filter(pk=object_id).first() if object_id.isdigit() else None
        if draft is None:
            messages.warning(request, f"No draft with id {object_id!r}.")
            return HttpResponseRedirect(reverse("admin:reviews_draftreview_changelist"))
        if not self.has_view_or_change_permission(request, draft):
            raise PermissionDenied
        text = draft.response_text
        if request.method == "POST":
            if not self.has_change_permission(request, draft):
                raise PermissionDenied
            text = request.POST.get("text", draft.response_text)
            if self._decide(request, draft, text):
                return HttpResponseRedirect(request.path)
        return self._render_review(request, draft, text)

    def _decide(self, request: HttpRequest, draft: ActionableOutput, text: str) -> bool:
        """Apply the button pressed; True when done (a message says what happened either way)."""
        access = Access.for_user(request.user)
        post = request.POST
        try:
            if "_approve" in post:
                if text.strip() != draft.response_text.strip():
                    messages.error(
                        request,
                        "You edited the draft: press 'Approve with edits' to send your version "
                        "(your edits are kept below).",
                    )
                    return False
                draft_approve(access=access, output_id=draft.pk)
                messages.success(request, "Draft approved; the reply was recorded and is being delivered.")
            elif "_approve_edited" in post:
                if not text.strip():
                    messages.error(request, "The reply to send is empty.")
                    return False
                draft_approve(access=access, output_id=draft.pk, text=text)
                messages.success(
                    request, "Edited draft approved; the reply was recorded and is being delivered."
                )
            elif "_reject" in post:
                reason = post.get("reason", "").strip()
                if not reason:
                    messages.error(request, "Say why the draft is rejected.")
                    return False
                draft_reject(access=access, output_id=draft.pk, reason=reason)
                messages.success(request, "Draft rejected.")
            elif "_feedback" in post:
                reason = post.get("feedback_reason", "")
                if reason not in Feedback.Reason.values:
                    messages.error(request, "Choose what was wrong with the message.")
                    return False
                feedback_create(
                    access=access,
                    output_id=draft.pk,
                    reason=reason,
                    note=post.get("feedback_note", ""),
                    corrected_text=post.get("feedback_corrected", ""),
                )
                messages.success(request, "Feedback recorded.")
            else:
                messages.error(request, "Unknown action.")
                return False
        except (DraftAlreadyDecided, DraftSuperseded, DraftNotFound, ConversationFull, ScopeDenied) as error:
            messages.error(request, str(error) or type(error).__doc__ or "Refused.")
            return False
        return True

    def _render_review(self, request: HttpRequest, draft: ActionableOutput, text: str) -> TemplateResponse:
        decision: ReviewDecision | None = getattr(draft, "review", None)
        delivery: Delivery | None = getattr(decision, "delivery", None) if decision else None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Review draft #{draft.pk}",
            "draft": draft,
            "analysis": draft.analysis,
            "turn": turn_view(draft.analysis),
            "history": conversation_before(draft),
            "reasons": flag_reasons(draft),
            "state": getattr(draft, "state", ""),
            "text": text,
            "edited": text.strip() != draft.response_text.strip(),
            "decision": decision,
            "delivery": delivery,
            "attempts": list(delivery.attempts.all()) if delivery else [],
            "feedback": list(draft.feedback.order_by("-created_at")),
            # The turn's proposed CRM changes are decided on their own page (crm admin): listed here so
            # the reviewer sees what approving the plan would write.
            "proposals": [
                (proposal, reverse("admin:crm_proposal_change", args=[proposal.pk]))
                for proposal in draft.analysis.proposals.order_by("id")
            ],
            "feedback_reasons": Feedback.Reason.choices,
            "degraded": yes_no(draft.degraded),
            "can_decide": decision is None and self.has_change_permission(request, draft),
            "conversation_url": reverse(
                "admin:conversations_conversation_change", args=[draft.analysis.conversation_id]
            ),
            "queue_url": reverse("admin:reviews_draftreview_changelist"),
        }
        return TemplateResponse(request, self.review_template, context)


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    fields = ("number", "at", "status_code", "error", "response_excerpt", "duration_ms")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class AuditLogAdmin(admin.ModelAdmin):
    """A log the services write (decisions, deliveries): read here, never added, edited or deleted, so
    it stays the record of what happened."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(AuditLogAdmin):
    """The delivery log: each approved reply's webhook, its attempts and its final state."""

    list_display = (
        "id",
        "event",
        "state",
        "url",
        "attempt_count",
        "last_error",
        "created_at",
        "delivered_at",
    )
    list_filter = ("state", "event")
    search_fields = ("id", "url")
    readonly_fields = (
        "id",
        "decision",
        "endpoint",
        "url",
        "event",
        "payload",
        "state",
        "attempt_count",
        "last_error",
        "created_at",
        "delivered_at",
    )
    inlines = [DeliveryAttemptInline]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ("name", "url", "api_key", "active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("name", "url")
    raw_id_fields = ("api_key",)
    # A URL typed without a scheme is https (Django 6's default; this silences its warning).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    @admin.display(description="active")
    def active(self, obj: WebhookEndpoint) -> str:
        return yes_no(obj.is_active)

    def save_model(self, request: HttpRequest, obj: WebhookEndpoint, form: object, change: bool) -> None:
        webhook_endpoint_save(access=Access.for_user(request.user), endpoint=obj)


@admin.register(ReviewDecision)
class ReviewDecisionAdmin(AuditLogAdmin):
    list_display = ("output", "state", "decided_by", "api_key", "decided_at", "edit_distance", "edit_ratio")
    list_filter = ("state",)
    list_select_related = ("decided_by", "api_key", "output")
    readonly_fields = [field.name for field in ReviewDecision._meta.fields]

    # Decisions are made on the review page, through the services.


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    list_display = ("output", "reason", "note", "user", "api_key", "created_at")
    list_filter = ("reason",)
    search_fields = ("note", "corrected_text")
    list_select_related = ("user", "api_key")
    readonly_fields = ("output", "reason", "note", "corrected_text", "user", "api_key", "created_at")

    # Feedback is given on the review page (through the service), which records who gave it; a report
    # made by mistake may be deleted.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
