"""Admin for API keys: create one (its secret is shown once), set scopes and expiry, revoke."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from rest_framework_api_key.models import APIKey as LibraryAPIKey

from apikeys.access import Scope
from apikeys.models import ApiKey
from apikeys.services import api_key_revoke, api_key_save_new

# The library registers its own (unused) key model; ours replaces it.
if admin.site.is_registered(LibraryAPIKey):
    admin.site.unregister(LibraryAPIKey)


class ApiKeyForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Without conversations:read a key sees and continues only the conversations it created.",
    )

    class Meta:
        model = ApiKey
        fields = ("name", "user", "scopes", "expiry_date", "revoked")


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    form = ApiKeyForm
    list_display = (
        "prefix",
        "name",
        "user",
        "scope_list",
        "created",
        "expiry_date",
        "_has_expired",
        "revoked",
    )
    list_filter = ("revoked", "created")
    list_select_related = ("user",)
    search_fields = ("name", "prefix", "user__username")
    raw_id_fields = ("user",)
    actions = ["revoke_keys"]

    @admin.display(description="scopes")
    def scope_list(self, obj: ApiKey) -> str:
        return ", ".join(obj.scopes or [])

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # A revoked key stays revoked (the model refuses to un-revoke it); nothing else about it matters.
        if obj is not None and obj.revoked:
            return ("prefix", "name", "user", "scopes", "expiry_date", "revoked")
        return ("prefix",)

    def save_model(self, request: HttpRequest, obj: Any, form: Any = None, change: bool = False) -> None:
        if change:
            obj.save()
            return
        secret = api_key_save_new(api_key=obj)
        messages.warning(
            request,
            f"The API key for {obj.name} is: {secret} — store it now: it is not shown again "
            "(only a hash of it is kept).",
        )

    @admin.action(description="Revoke selected keys (cannot be undone)")
    def revoke_keys(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        for api_key in queryset:
            api_key_revoke(api_key=api_key)
        self.message_user(request, f"Revoked {queryset.count()} key(s).")
