"""Admin for the local CRM (prospects with their interactions and follow-up tasks) and for the CRM
changes turns proposed: a queue of proposals to approve or reject, each with its audit trail."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from apikeys.access import Access, Scope
from conversations.turn_display import display_text
from crm.models import FollowUpTask, Interaction, Proposal, ProposalAuditEntry, Prospect
from crm.proposals import (
    ProposalAlreadyDecided,
    proposal_apply_on_commit,
    proposal_approve,
    proposal_reject,
)
from crm.services import prospect_delete, prospect_save


class InteractionInline(admin.TabularInline):
    model = Interaction
    extra = 0
    fields = ("created_at", "kind", "summary", "conversation")
    readonly_fields = ("created_at",)
    raw_id_fields = ("conversation",)
    ordering = ("-created_at",)
    show_change_link = True


class FollowUpTaskInline(admin.TabularInline):
    model = FollowUpTask
    extra = 0
    fields = ("due_at", "title", "body", "done")


@admin.register(Prospect)
class ProspectAdmin(admin.ModelAdmin):
    list_display = (
        "external_id",
        "name",
        "company",
        "industry",
        "employees",
        "lead_score",
        "stage",
        "do_not_contact",
        "last_contacted_at",
    )
    list_filter = ("stage", "industry", "do_not_contact")
    search_fields = ("external_id", "name", "email", "company", "notes")
    ordering = ("external_id",)
    readonly_fields = ("created_at", "updated_at")
    inlines = [InteractionInline, FollowUpTaskInline]

    # Through the CRM service, so the cached CRM record turns read is dropped when the edit commits.
    def save_model(self, request: HttpRequest, obj: Prospect, form: Any, change: bool) -> None:
        prospect_save(access=Access.for_user(request.user), prospect=obj)

    def delete_model(self, request: HttpRequest, obj: Prospect) -> None:
        prospect_delete(access=Access.for_user(request.user), prospect=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Prospect]) -> None:
        for prospect in queryset:
            prospect_delete(access=Access.for_user(request.user), prospect=prospect)


@admin.register(Interaction)
class InteractionAdmin(admin.ModelAdmin):
    list_display = ("created_at", "prospect", "kind", "short_summary", "conversation")
    list_filter = ("kind",)
    list_select_related = ("prospect", "conversation")
    search_fields = ("summary", "prospect__external_id", "prospect__name")
    raw_id_fields = ("prospect", "conversation")
    date_hierarchy = "created_at"

    @admin.display(description="summary")
    def short_summary(self, obj: Interaction) -> str:
        return obj.summary[:120]

    def has_change_permission(self, request: HttpRequest, obj: Interaction | None = None) -> bool:
        # Interactions are a log; staff add notes but do not rewrite history.
        return False


def fields_table(values: dict[str, Any] | None) -> SafeString:
    """A dict as a two-column table (field, value), values as the turn pages show them."""
    if not values:
        return format_html("<span>{}</span>", "-")
    rows = format_html_join(
        "",
        "<tr><th>{}</th><td style='white-space: pre-wrap'>{}</td></tr>",
        ((name, display_text(value)) for name, value in values.items()),
    )
    return format_html("<table>{}</table>", rows)


class ProposalAuditEntryInline(admin.TabularInline):
    model = ProposalAuditEntry
    extra = 0
    can_delete = False
    fields = ("created_at", "event", "actor", "backend", "before_table", "after_table", "ids_table", "detail")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="before")
    def before_table(self, obj: ProposalAuditEntry) -> SafeString:
        return fields_table(obj.before)

    @admin.display(description="after")
    def after_table(self, obj: ProposalAuditEntry) -> SafeString:
        return fields_table(obj.after)

    @admin.display(description="created ids")
    def ids_table(self, obj: ProposalAuditEntry) -> SafeString:
        return fields_table(obj.remote_ids)


class RejectForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


@admin.register(Proposal)
class ProposalAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "action",
        "state",
        "prospect_id",
        "conversation_link",
        "age",
        "backend",
        "decided_by_label",
    )
    list_filter = ("state", "action", "backend")
    search_fields = ("prospect_id", "reason")
    list_select_related = ("conversation",)
    ordering = ("-created_at",)
    actions = ["approve_selected", "reject_selected", "apply_again"]
    inlines = [ProposalAuditEntryInline]
    fields = (
        "action", "state", "prospect_id", "conversation_link", "reason", "content_table", "decided_by_label",
        "decided_at", "reject_reason", "backend", "ids_table", "attempts", "error", "applied_at",
        "created_at",
    )  # fmt: skip
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Proposal | None = None) -> bool:
        return False  # decided through the actions (the services), never edited

    @admin.display(description="conversation")
    def conversation_link(self, obj: Proposal) -> SafeString:
        url = reverse("admin:conversations_conversation_change", args=[obj.conversation_id])
        return format_html('<a href="{}">{}</a>', url, obj.conversation)

    @admin.display(description="age", ordering="created_at")
    def age(self, obj: Proposal) -> str:
        minutes = int((timezone.now() - obj.created_at).total_seconds() // 60)
        return (
            f"{minutes // 1440}d"
            if minutes >= 1440
            else f"{minutes // 60}h"
            if minutes >= 60
            else f"{minutes}m"
        )

    @admin.display(description="content")
    def content_table(self, obj: Proposal) -> SafeString:
        content = dict(obj.content)
        fields = content.pop("fields", None)
        return fields_table({**(fields or {}), **content})

    @admin.display(description="created ids")
    def ids_table(self, obj: Proposal) -> SafeString:
        return fields_table(obj.remote_ids)

    @admin.action(description="Approve and apply the selected proposals")
    def approve_selected(self, request: HttpRequest, queryset: QuerySet[Proposal]) -> None:
        access, done, skipped = Access.for_user(request.user), 0, 0
        for proposal in queryset:
            try:
                proposal_approve(access=access, proposal=proposal)
                done += 1
            except ProposalAlreadyDecided:
                skipped += 1
        self.message_user(request, f"Approved {done}; {skipped} were already decided.", messages.SUCCESS)

    @admin.action(description="Reject the selected proposals (asks for a reason)")
    def reject_selected(self, request: HttpRequest, queryset: QuerySet[Proposal]) -> HttpResponse | None:
        form = RejectForm(request.POST if request.POST.get("confirm") else None)
        if not form.is_valid():
            context = {**self.admin_site.each_context(request), "form": form, "proposals": list(queryset)}
            return TemplateResponse(request, "admin/crm/proposal/reject.html", context)
        access, done, skipped = Access.for_user(request.user), 0, 0
        for proposal in queryset:
            try:
                proposal_reject(access=access, proposal=proposal, reason=form.cleaned_data["reason"])
                done += 1
            except ProposalAlreadyDecided:
                skipped += 1
        self.message_user(request, f"Rejected {done}; {skipped} were already decided.", messages.SUCCESS)
        return None

    @admin.action(description="Apply again (approved or failed proposals)")
    def apply_again(self, request: HttpRequest, queryset: QuerySet[Proposal]) -> None:
        Access.for_user(request.user).require(Scope.REVIEWS_WRITE)
        retry = queryset.filter(state__in=[Proposal.State.APPROVED, Proposal.State.FAILED])
        for proposal in retry:
            proposal_apply_on_commit(proposal.pk)
        self.message_user(request, f"Queued {retry.count()} proposals to apply.", messages.SUCCESS)
