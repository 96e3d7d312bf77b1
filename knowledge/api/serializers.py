"""Knowledge API: documents for staff, and search parameters."""

from __future__ import annotations

from copy import copy
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from knowledge.languages import DEFAULT_LANGUAGE, LANGUAGE_CHOICES
from knowledge.models import Document
from knowledge.search import SEARCH_MODES
from salesagent.api_fields import StrictCharField, StrictModelSerializer


class TranslationOfField(serializers.SlugRelatedField):
    """The original's slug, or null; an empty string is an error (DRF would read it as null)."""

    def run_validation(self, data: Any = serializers.empty) -> Any:
        if data == "":
            self.fail("does_not_exist", slug_name=self.slug_field, value=data)
        if data is not None and data is not serializers.empty and not isinstance(data, str):
            self.fail("invalid")
        return super().run_validation(data)


class DocumentSerializer(StrictModelSerializer):
    """A knowledge-base document; writing one schedules its reindex."""

    chunk_count = serializers.IntegerField(read_only=True)
    tags = serializers.ListField(child=StrictCharField(max_length=100), required=False, max_length=50)
    translation_of = TranslationOfField(
        slug_field="slug",
        queryset=Document.objects.all(),
        allow_null=True,
        required=False,
        help_text="Slug of the original document this one translates.",
    )

    class Meta:
        model = Document
        fields = [
            "id",
            "slug",
            "title",
            "category",
            "tags",
            "body",
            "language",
            "translation_of",
            "source",
            "is_active",
            "index_status",
            "index_error",
            "indexed_at",
            "chunk_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["index_status", "index_error", "indexed_at", "created_at", "updated_at"]

    def validate_tags(self, value: object) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(tag, str) for tag in value):
            raise serializers.ValidationError("Expected a list of strings.")
        return [tag.strip().lower() for tag in value if tag.strip()]

    def validate_body(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError("This field may not be blank.")
        return value

    def validate(self, attrs: dict) -> dict:
        # The model's own rule for translations (another language, linked to an original), applied
        # to the document as it would be after this request.
        document = copy(self.instance) if self.instance is not None else Document()
        for name, value in attrs.items():
            setattr(document, name, value)
        try:
            document.clean()
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
        return attrs


class SearchQuerySerializer(serializers.Serializer):
    """Query parameters; a parameter sent empty is an error (not silently its default) unless it may
    be blank."""

    q = serializers.CharField(max_length=1000)
    k = serializers.IntegerField(min_value=1, max_value=50, default=5)
    category = serializers.CharField(required=False, allow_blank=True)
    tags = serializers.CharField(required=False, allow_blank=True, help_text="Comma-separated.")
    document = serializers.CharField(required=False, allow_blank=True)
    mode = serializers.ChoiceField(choices=SEARCH_MODES, default="hybrid")
    language = serializers.ChoiceField(choices=LANGUAGE_CHOICES, default=DEFAULT_LANGUAGE)

    def to_internal_value(self, data: Any) -> Any:
        blank = {
            name: ["This field may not be blank."]
            for name in ("q", "k", "mode", "language")
            if hasattr(data, "get") and name in data and not str(data.get(name)).strip()
        }
        if blank:
            raise serializers.ValidationError(blank)
        return super().to_internal_value(data)


class SearchResultSerializer(serializers.Serializer):
    chunk_id = serializers.IntegerField()
    document = serializers.CharField()
    canonical_slug = serializers.CharField(
        help_text="Slug of the original a translated document translates, else the document's own slug."
    )
    language = serializers.CharField()
    title = serializers.CharField()
    category = serializers.CharField()
    heading_path = serializers.CharField()
    text = serializers.CharField()
    score = serializers.FloatField(
        help_text="Fused (RRF) score in hybrid mode, cosine similarity in vector mode."
    )
    vector_rank = serializers.IntegerField(allow_null=True)
    text_rank = serializers.IntegerField(allow_null=True)
    vector_similarity = serializers.FloatField(allow_null=True)


class SearchResponseSerializer(serializers.Serializer):
    query = serializers.CharField()
    mode = serializers.CharField()
    language = serializers.CharField()
    count = serializers.IntegerField()
    results = SearchResultSerializer(many=True)
