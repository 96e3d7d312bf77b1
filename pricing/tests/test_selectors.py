"""Reads of the price book: the active book kept per process under its digest."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pricing.models import VolumeDiscount
from pricing.quotes import quote_price
from pricing.selectors import active_price_book_digest, price_book_get_active

pytestmark = pytest.mark.django_db


def test_the_active_book_is_kept_per_process_under_its_digest(django_assert_num_queries):
    # Given the active book read as of its current digest
    digest = active_price_book_digest()
    assert digest is not None
    first = price_book_get_active(digest=digest)

    # When it is asked for again at that digest, then no query runs
    with django_assert_num_queries(0):
        assert price_book_get_active(digest=digest) is first

    # When a tier is edited (updated_at untouched), the digest changes and the book is read again
    VolumeDiscount.objects.filter(min_seats=100).update(percent="12.00")
    changed = active_price_book_digest()
    assert changed != digest
    quote = quote_price(plan="Standard", seats=100, active_digest=changed)
    assert quote.adjustments[0].percent == Decimal("12.00")


def test_a_book_read_under_a_digest_that_is_no_longer_current_is_not_kept(django_assert_num_queries):
    # Given a digest from before an edit, the book is read and its digest checked, but not kept
    with django_assert_num_queries(5):
        price_book_get_active(digest="from-before-an-edit")
    with django_assert_num_queries(5):
        price_book_get_active(digest="from-before-an-edit")
