"""Price book validation (forms and the database) and the one-active-book rule of the services."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from pricing.models import PlanPrice, PriceBook, SegmentDiscount, VolumeDiscount
from pricing.services import price_book_activate, price_book_save

pytestmark = pytest.mark.django_db


@pytest.fixture
def book() -> PriceBook:
    return PriceBook.objects.create(name="Test prices")


@pytest.mark.parametrize("percent", ["-1", "100.01"])
def test_percents_must_be_between_0_and_100(book, percent):
    with pytest.raises(ValidationError, match="percent"):
        VolumeDiscount(price_book=book, min_seats=10, percent=Decimal(percent)).full_clean()
    with pytest.raises(ValidationError, match="percent"):
        SegmentDiscount(price_book=book, segment="nonprofit", percent=Decimal(percent)).full_clean()
    with pytest.raises(IntegrityError):
        VolumeDiscount.objects.create(price_book=book, min_seats=10, percent=Decimal(percent))


def test_the_surcharge_is_a_percent_too(book):
    book.monthly_billing_surcharge_percent = Decimal("150")
    with pytest.raises(ValidationError, match="monthly_billing_surcharge_percent"):
        book.full_clean()


@pytest.mark.parametrize("price", ["0", "-5"])
def test_seat_prices_must_be_positive(book, price):
    plan = PlanPrice(price_book=book, name="Gold", seat_price=Decimal(price))
    with pytest.raises(ValidationError, match="seat_price"):
        plan.full_clean()
    with pytest.raises(IntegrityError):
        plan.save()


def test_only_custom_pricing_plans_may_have_no_price(book):
    with pytest.raises(ValidationError, match="needs a seat price"):
        PlanPrice(price_book=book, name="Gold").full_clean()
    PlanPrice(price_book=book, name="Enterprise", custom_pricing=True).full_clean()


def test_min_seats_are_unique_per_book(book):
    VolumeDiscount.objects.create(price_book=book, min_seats=100, percent=Decimal("5"))
    with pytest.raises(ValidationError):
        VolumeDiscount(price_book=book, min_seats=100, percent=Decimal("7")).full_clean()
    other = PriceBook.objects.create(name="Other prices")
    VolumeDiscount(price_book=other, min_seats=100, percent=Decimal("7")).full_clean()


def test_plan_names_are_unique_per_book_ignoring_case(book):
    PlanPrice.objects.create(price_book=book, name="Gold", seat_price=Decimal("10"))
    with pytest.raises(IntegrityError):
        PlanPrice.objects.create(price_book=book, name="gold", seat_price=Decimal("12"))


def test_stack_order_lists_each_adjustment_once(book):
    book.stack_order = ["volume", "segment"]
    with pytest.raises(ValidationError, match="exactly once"):
        book.full_clean()
    book.stack_order = ["monthly_surcharge", "segment", "volume"]
    book.full_clean()


def test_the_database_refuses_two_active_books():
    with pytest.raises(IntegrityError):
        PriceBook.objects.create(name="Second active", is_active=True)


def test_saving_a_book_active_deactivates_the_others():
    demo = PriceBook.objects.get(is_active=True)
    new = price_book_save(price_book=PriceBook(name="Next year", is_active=True))
    demo.refresh_from_db()
    assert not demo.is_active
    assert list(PriceBook.objects.filter(is_active=True)) == [new]


def test_activating_a_book_switches_and_keeps_its_other_fields():
    demo = PriceBook.objects.get(is_active=True)
    draft = PriceBook.objects.create(name="Draft", currency="EUR")
    stale = PriceBook.objects.get(pk=draft.pk)
    PriceBook.objects.filter(pk=draft.pk).update(currency="GBP")
    price_book_activate(price_book=stale)
    draft.refresh_from_db()
    demo.refresh_from_db()
    assert draft.is_active
    assert draft.currency == "GBP"  # activation writes only the flag, not a stale copy
    assert not demo.is_active
