"""Admin for the company profile (one row) and the terms the agent recognises in messages."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse

from company.models import PROFILE_ID, CompanyProfile, CompanyTerm
from company.services import company_term_delete, company_term_save


@admin.register(CompanyProfile)
class CompanyProfileAdmin(admin.ModelAdmin):
    fieldsets = (
        (None, {"fields": ("name",)}),
        (
            "What the plans are priced per",
            {"fields": ("unit_singular", "unit_plural", "unit_translations")},
        ),
        ("Replies to unhappy prospects", {"fields": ("pitch_categories",)}),
    )
    readonly_fields = ("updated_at",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not CompanyProfile.objects.filter(pk=PROFILE_ID).exists()

    def has_delete_permission(self, request: HttpRequest, obj: CompanyProfile | None = None) -> bool:
        return False

    def changelist_view(
        self, request: HttpRequest, extra_context: dict | None = None
    ) -> HttpResponseRedirect:
        # One profile: the list would hold one row, so the link goes straight to it (or to adding it).
        if CompanyProfile.objects.filter(pk=PROFILE_ID).exists():
            return HttpResponseRedirect(reverse("admin:company_companyprofile_change", args=[PROFILE_ID]))
        return HttpResponseRedirect(reverse("admin:company_companyprofile_add"))


@admin.register(CompanyTerm)
class CompanyTermAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "alias_list")
    list_filter = ("kind",)
    search_fields = ("name", "aliases")
    fields = ("kind", "name", "aliases")

    def save_model(self, request: HttpRequest, obj: CompanyTerm, form: Any, change: bool) -> None:
        company_term_save(obj)

    def delete_model(self, request: HttpRequest, obj: CompanyTerm) -> None:
        company_term_delete(obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[CompanyTerm]) -> None:
        for term in queryset:
            company_term_delete(term)

    @admin.display(description="aliases")
    def alias_list(self, obj: CompanyTerm) -> str:
        return ", ".join(obj.aliases)
