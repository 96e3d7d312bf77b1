"""The knowledge base: documents staff edit, and the embedded chunks search runs over."""

from __future__ import annotations

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.db import models
from pgvector.django import HnswIndex, VectorField

from knowledge.languages import DEFAULT_LANGUAGE, LANGUAGE_CHOICES

EMBEDDING_DIMENSIONS = 384


class Document(models.Model):
    class IndexStatus(models.TextChoices):
        PENDING = "pending", "Pending"
        INDEXED = "indexed", "Indexed"
        FAILED = "failed", "Failed"

    slug = models.SlugField(max_length=120, unique=True)
    title = models.CharField(max_length=200)
    category = models.CharField(max_length=50, blank=True, db_index=True)
    tags = models.JSONField(default=list, blank=True)
    body = models.TextField(help_text="Markdown.")
    # The language the document is written in: search answers a prospect from documents in their
    # language, and the chunks' full-text vectors use that language's stemmer and stop words.
    language = models.CharField(
        max_length=8, choices=LANGUAGE_CHOICES, default=DEFAULT_LANGUAGE, db_index=True
    )
    # The original a translation translates (its slug is "<original slug>-<language>"), so answers in
    # any language cite the same source.
    translation_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="translations",
        help_text="The original document this one translates, if any.",
    )
    source = models.CharField(max_length=300, blank=True, help_text="Where the text came from (file, URL).")
    is_active = models.BooleanField(default=True)
    content_hash = models.CharField(max_length=64, blank=True, editable=False)
    # Hash and model of the content the current chunks were built from; a reindex is a no-op when
    # both match the document as it is now.
    indexed_hash = models.CharField(max_length=64, blank=True, editable=False)
    indexed_model = models.CharField(max_length=100, blank=True, editable=False)
    index_status = models.CharField(
        max_length=10, choices=IndexStatus.choices, default=IndexStatus.PENDING, editable=False
    )
    index_error = models.TextField(blank=True, editable=False)
    indexed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        """A translation links straight to an original (one level deep) in another language."""
        original = self.translation_of
        if original is None:
            return
        if self.pk is not None and original.pk == self.pk:
            raise ValidationError({"translation_of": "A document cannot be a translation of itself."})
        if self.pk is not None and self.translations.exists():
            raise ValidationError(
                {"translation_of": "This document has translations of its own, so it must stay an original."}
            )
        if original.translation_of_id is not None:
            raise ValidationError(
                {"translation_of": "Link a translation to the original, not to another translation."}
            )
        if original.language == self.language:
            raise ValidationError(
                {"translation_of": "A translation must be in another language than its original."}
            )


class Chunk(models.Model):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="chunks")
    ordinal = models.PositiveIntegerField()
    heading_path = models.CharField(max_length=500, blank=True)
    text = models.TextField()
    embedding = VectorField(dimensions=EMBEDDING_DIMENSIONS)
    embedding_model = models.CharField(max_length=100)
    search_vector = SearchVectorField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["document_id", "ordinal"]
        constraints = [
            models.UniqueConstraint(fields=["document", "ordinal"], name="chunk_document_ordinal_unique")
        ]
        indexes = [
            HnswIndex(
                name="chunk_embedding_hnsw",
                fields=["embedding"],
                m=16,
                ef_construction=64,
                opclasses=["vector_cosine_ops"],
            ),
            GinIndex(fields=["search_vector"], name="chunk_search_vector_gin"),
        ]

    def __str__(self) -> str:
        return f"{self.document.slug}#{self.ordinal}"
