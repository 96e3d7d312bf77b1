"""Admin for the local CRM: prospects with the interactions the agent logged for them."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from apikeys.access import Access
from crm.models import Interaction, Prospect
from crm.services import prospect_delete, prospect_save


class InteractionInline(admin.TabularInline):
    model = Interaction
    extra = 0
    fields = ("created_at", "kind", "summary", "conversation")
    readonly_fields = ("created_at",)
    raw_id_fields = ("conversation",)
    ordering = ("-created_at",)
    show_change_link = True


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
        "last_contacted_at",
    )
    list_filter = ("stage", "industry")
    search_fields = ("external_id", "name", "email", "company", "notes")
    ordering = ("external_id",)
    readonly_fields = ("created_at", "updated_at")
    inlines = [InteractionInline]

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
