"""Admin for the knowledge base: staff edit documents here; saves are re-embedded in the background."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from apikeys.access import Access
from knowledge.indexing import index_progress
from knowledge.models import Chunk, Document
from knowledge.services import document_delete, document_save, schedule_reindex

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class _ChunkTotal(TypedDict):
    chunk_total: int


class ChunkInline(admin.TabularInline):
    model = Chunk
    extra = 0
    can_delete = False
    fields = ("ordinal", "heading_path", "text", "embedding_model", "created_at")
    readonly_fields = fields
    ordering = ("ordinal",)
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Document | None = None) -> bool:
        return False


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = (
        "slug",
        "title",
        "language",
        "category",
        "is_active",
        "index_status",
        "chunk_count",
        "indexed_at",
        "updated_at",
    )
    list_filter = ("language", "index_status", "category", "is_active")
    search_fields = ("slug", "title", "body")
    prepopulated_fields = {"slug": ("title",)}
    autocomplete_fields = ("translation_of",)
    readonly_fields = ("index_status", "index_error", "indexed_at", "indexed_model", "content_hash")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "slug",
                    "title",
                    "language",
                    "translation_of",
                    "category",
                    "tags",
                    "is_active",
                    "source",
                    "body",
                )
            },
        ),
        (
            "Index",
            {"fields": ("index_status", "index_error", "indexed_at", "indexed_model", "content_hash")},
        ),
    )
    inlines = [ChunkInline]
    actions = ["reindex_selected"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Document]:
        return super().get_queryset(request).annotate(chunk_total=Count("chunks"))

    @admin.display(description="chunks", ordering="chunk_total")
    def chunk_count(self, obj: WithAnnotations[Document, _ChunkTotal]) -> int:
        return obj.chunk_total

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        return super().changelist_view(
            request, extra_context={**(extra_context or {}), "index_progress": index_progress()}
        )

    def save_model(self, request: HttpRequest, obj: Document, form, change: bool) -> None:
        # The service marks the document pending and enqueues the reindex once the admin commits.
        document_save(obj, access=Access.for_user(request.user))

    def delete_model(self, request: HttpRequest, obj: Document) -> None:
        document_delete(document=obj, access=Access.for_user(request.user))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Document]) -> None:
        for document in queryset:
            document_delete(document=document, access=Access.for_user(request.user))

    @admin.action(description="Reindex selected documents")
    def reindex_selected(self, request: HttpRequest, queryset: QuerySet[Document]) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        queryset.update(index_status=Document.IndexStatus.PENDING)
        schedule_reindex(ids, force=True)
        self.message_user(request, f"Reindex scheduled for {len(ids)} document(s).", messages.SUCCESS)


@admin.register(Chunk)
class ChunkAdmin(admin.ModelAdmin):
    list_display = ("__str__", "document", "ordinal", "heading_path", "embedding_model")
    list_filter = ("embedding_model", "document__category")
    list_select_related = ("document",)
    search_fields = ("text", "heading_path", "document__slug")
    readonly_fields = ("document", "ordinal", "heading_path", "text", "embedding_model", "created_at")
    exclude = ("embedding", "search_vector")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Chunk | None = None) -> bool:
        return False
