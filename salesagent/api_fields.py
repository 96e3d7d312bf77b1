"""Strict request fields for the API: text must be JSON strings (DRF would turn 0 into "0"), and filter
parameters sent empty are errors rather than silently ignored, so the API accepts exactly what its
OpenAPI schema says."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.db import models
from django.db.models import QuerySet
from django_filters import BooleanFilter, CharFilter, Filter
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination

# The largest id a row can have (a Postgres bigint): larger ids in a filter simply match nothing.
MAX_OBJECT_ID = 2**63 - 1
_WHOLE_NUMBER = re.compile(r"[+-]?\d+")


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


class StrictDateTimeField(serializers.DateTimeField):
    """A date-time (query) parameter sent empty is a format error, as the schema says; DRF would take
    ``?since=`` for a parameter not sent."""

    def get_value(self, dictionary: Any) -> Any:
        if self.field_name in dictionary and not str(dictionary.get(self.field_name)).strip():
            return ""
        return super().get_value(dictionary)


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


def object_id_in(text: str) -> int | None:
    """The object id a URL segment names, or None when no row can have it (not a whole number, or
    outside 1..MAX_OBJECT_ID): a 404, never a 500 from int() or a bigint overflow."""
    text = text.strip()
    if not _WHOLE_NUMBER.fullmatch(text):
        return None
    number = int(text)
    return number if 1 <= number <= MAX_OBJECT_ID else None


class ObjectIdFormField(forms.CharField):
    """A whole number as a query parameter: ``0.5``, ``1e3`` or ``abc`` are field errors."""

    def clean(self, value: Any) -> int | None:
        text = super().clean(value)
        if not text:
            return None
        if not _WHOLE_NUMBER.fullmatch(text):
            raise forms.ValidationError("Expected a whole number.")
        return int(text)


@extend_schema_field(OpenApiTypes.INT)
class ObjectIdFilter(Filter):
    """A filter on an object id: the schema's integer, so ``?conversation=0.5`` is a 400 field error
    (under the parameter's name), while a whole number no row can have (0, or beyond a bigint) matches
    nothing, just as an id nobody has."""

    field_class = ObjectIdFormField

    def filter(self, qs: QuerySet[Any], value: Any) -> QuerySet[Any]:
        if value is None:
            return qs
        if not 1 <= value <= MAX_OBJECT_ID:
            return qs.none()
        return qs.filter(**{self.field_name: value})
