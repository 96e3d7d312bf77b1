"""Reads of the price book: the active one, with everything a quote needs, and its plan names."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from pricing.exceptions import NoActivePriceBook
from pricing.models import PlanPrice, PriceBook, SegmentDiscount, VolumeDiscount


def price_book_with_rows(queryset: QuerySet[PriceBook] | None = None) -> QuerySet[PriceBook]:
    """Price books with their plans, volume tiers and segment discounts prefetched in order."""
    queryset = queryset if queryset is not None else PriceBook.objects.all()
    return queryset.prefetch_related(
        Prefetch("plans", queryset=PlanPrice.objects.order_by("sort_order", "name")),
        Prefetch("volume_discounts", queryset=VolumeDiscount.objects.order_by("min_seats")),
        Prefetch("segment_discounts", queryset=SegmentDiscount.objects.order_by("segment")),
    )


def price_book_get_active() -> PriceBook:
    """The active price book with its rows prefetched; raises ``NoActivePriceBook``."""
    price_book = price_book_with_rows(PriceBook.objects.filter(is_active=True)).first()
    if price_book is None:
        raise NoActivePriceBook("No price book is active.")
    return price_book


def price_book_refetch(price_book: PriceBook) -> PriceBook:
    """``price_book`` as stored now, with its rows prefetched (a caller's copy may be stale)."""
    return price_book_with_rows(PriceBook.objects.filter(pk=price_book.pk)).get()


def active_plan_names_query() -> QuerySet[PlanPrice, str]:
    """Names of the active price book's plans in display order, as a query (callers may embed it)."""
    return (
        PlanPrice.objects.filter(price_book__is_active=True)
        .order_by("sort_order", "name")
        .values_list("name", flat=True)
    )


def active_plan_names() -> tuple[str, ...]:
    """Names of the active price book's plans in display order; empty when no book is active."""
    return tuple(active_plan_names_query())
