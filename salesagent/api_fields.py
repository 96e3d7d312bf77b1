"""Strict request fields for the API: text must be JSON strings (DRF would turn 0 into "0"), and filter
parameters sent empty are errors rather than silently ignored, so the API accepts exactly what its
OpenAPI schema says."""

from __future__ import annotations

from typing import Any

from django.db import models
from django_filters import BooleanFilter, CharFilter
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination


class StrictCharField(serializers.CharField):
    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictEmailField(serializers.EmailField):
    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictSlugField(serializers.SlugField):
    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer whose text fields accept only strings."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
        models.EmailField: StrictEmailField,
        models.SlugField: StrictSlugField,
    }


class StrictPageNumberPagination(PageNumberPagination):
    """Page numbers as the schema says: an empty ``?page=`` is an invalid page (404), not page 1."""

    def get_page_number(self, request: Any, paginator: Any) -> Any:
        if self.page_query_param in request.query_params and not request.query_params[self.page_query_param]:
            raise NotFound(
                self.invalid_page_message.format(page_number="", message="That page number is empty")
            )
        return super().get_page_number(request, paginator)


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter, except that a non-text filter sent empty (``?stage=``) is a 400, as the schema says."""

    def get_filterset_kwargs(self, request: Any, queryset: Any, view: Any) -> dict[str, Any]:
        kwargs = super().get_filterset_kwargs(request, queryset, view)
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None:
            data = kwargs["data"]
            errors: dict[str, list[str]] = {}
            for name, field in filterset_class.base_filters.items():
                value = str(data.get(name, "")).strip().lower()
                if name not in data or isinstance(field, CharFilter):
                    continue
                if not value:
                    errors[name] = ["This field may not be blank."]
                elif isinstance(field, BooleanFilter) and value not in {"true", "false"}:
                    errors[name] = ["Expected true or false."]
            if errors:
                raise serializers.ValidationError(errors)
        return kwargs
