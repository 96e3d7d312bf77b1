"""Writes to the price book that carry a rule: at most one price book is active."""

from __future__ import annotations

from django.db import transaction

from pricing.models import PriceBook


@transaction.atomic
def price_book_save(*, price_book: PriceBook, update_fields: list[str] | None = None) -> PriceBook:
    """Save a new or edited price book; saving it active deactivates every other one."""
    if price_book.is_active:
        # Lock every book in one order, so two staff activating different books queue up and the
        # later one wins cleanly instead of both tripping the one-active constraint.
        list(PriceBook.objects.select_for_update().order_by("pk").values_list("pk", flat=True))
        PriceBook.objects.filter(is_active=True).exclude(pk=price_book.pk).update(is_active=False)
    price_book.save(update_fields=update_fields)
    return price_book


def price_book_activate(*, price_book: PriceBook) -> PriceBook:
    """Make ``price_book`` the one quotes use."""
    price_book.is_active = True
    return price_book_save(price_book=price_book, update_fields=["is_active", "updated_at"])


def price_book_rows_saved() -> None:
    """Plans (their names and aliases) were added, renamed or removed: the reader learns the plan names
    (conversations/reader/company_examples.py), so it retrains after commit (a no-op when nothing it
    learns from changed)."""
    from conversations.intents import reader_retrain_later

    reader_retrain_later()
