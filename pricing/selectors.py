"""Reads of the price book: the active one, with everything a quote needs, and its vocabulary.

The active book may be kept per process under its digest (a hash of the book's row and of every row
of its plans, tiers and discounts, computed by Postgres), which any edit changes: a caller that read
the digest this turn gets the book as of that digest without reading its four tables again.
"""

from __future__ import annotations

from functools import cache

from django.db import connection
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


# This process's copy of the active price book and the digest it was read at.
_cached_active: tuple[str, PriceBook] | None = None


@cache
def active_price_book_digest_sql() -> str:
    """A scalar subquery: the digest of the active price book and all its rows; NULL when none is active."""
    book = PriceBook._meta.db_table

    def rows(model: type[PlanPrice | VolumeDiscount | SegmentDiscount]) -> str:
        return (
            f"(SELECT string_agg(r::text, ',' ORDER BY r.id) FROM {model._meta.db_table} r "
            "WHERE r.price_book_id = b.id)"
        )

    parts = ", ".join(["b::text", rows(PlanPrice), rows(VolumeDiscount), rows(SegmentDiscount)])
    return f"(SELECT md5(concat_ws('|', {parts})) FROM {book} b WHERE b.is_active)"


@cache
def active_price_vocabulary_sql() -> str:
    """A scalar subquery: the active book's plans (names, aliases) and segments (labels, terms) as one
    JSON document (text); NULL when no book is active."""
    book, plan, segment = PriceBook._meta.db_table, PlanPrice._meta.db_table, SegmentDiscount._meta.db_table
    return (
        "(SELECT json_build_object("
        "'plans', coalesce((SELECT json_agg(json_build_object('name', p.name, 'aliases', p.aliases) "
        f"ORDER BY p.sort_order, p.name) FROM {plan} p WHERE p.price_book_id = b.id), '[]'::json), "
        "'segments', coalesce((SELECT json_agg(json_build_object('segment', s.segment, 'label', s.label, "
        f"'terms', s.terms) ORDER BY s.segment) FROM {segment} s WHERE s.price_book_id = b.id), '[]'::json)"
        f")::text FROM {book} b WHERE b.is_active)"
    )


def active_price_book_digest() -> str | None:
    """The active price book's digest (one query); None when no book is active."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {active_price_book_digest_sql()}")
        return cursor.fetchone()[0]


def price_book_get_active(*, digest: str | None = None) -> PriceBook:
    """The active price book with its rows prefetched; raises ``NoActivePriceBook``.

    ``digest`` is the active book's digest the caller has just read: when this process holds the book
    as of that digest, it is returned without a query; else the book is read (four queries) and kept
    if its digest, read again, is still the one given (no edit landed while it was read).
    """
    global _cached_active
    cached = _cached_active
    if digest is not None and cached is not None and cached[0] == digest:
        return cached[1]
    price_book = price_book_with_rows(PriceBook.objects.filter(is_active=True)).first()
    if price_book is None:
        raise NoActivePriceBook("No price book is active.")
    if digest is not None and active_price_book_digest() == digest:
        _cached_active = (digest, price_book)
    return price_book


def price_book_refetch(price_book: PriceBook) -> PriceBook:
    """``price_book`` as stored now, with its rows prefetched (a caller's copy may be stale)."""
    return price_book_with_rows(PriceBook.objects.filter(pk=price_book.pk)).get()
