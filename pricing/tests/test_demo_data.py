"""The demo price book loader: create what is missing, keep staff edits, restore them only on reset."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from pricing.demo_data import load_demo_price_book
from pricing.models import PlanPrice, PriceBook, SegmentDiscount, VolumeDiscount
from pricing.quotes import quote_price

pytestmark = pytest.mark.django_db

DEMO = "Orbit Analytics list prices"


def demo_book() -> PriceBook:
    return PriceBook.objects.get(name=DEMO)


def test_the_session_loads_the_demo_book_from_the_fact_sheet():
    book = demo_book()
    assert book.is_active
    assert book.currency == "USD"
    assert book.monthly_billing_surcharge_percent == Decimal("20")
    assert book.stack_order == ["volume", "segment", "monthly_surcharge"]
    assert [(p.name, p.seat_price, p.max_seats, p.custom_pricing) for p in book.plans.all()] == [
        ("Basic", Decimal("19.00"), 500, False),
        ("Standard", Decimal("49.00"), 500, False),
        ("Premium", Decimal("99.00"), 500, False),
        ("Enterprise", None, None, True),
    ]
    assert list(book.volume_discounts.values_list("min_seats", "percent")) == [
        (100, Decimal("10")),
        (250, Decimal("15")),
        (500, Decimal("20")),
    ]
    assert dict(book.segment_discounts.values_list("segment", "percent")) == {
        "nonprofit": Decimal("30"),
        "education": Decimal("30"),
    }


def test_loading_again_creates_and_changes_nothing():
    before = list(PlanPrice.objects.values_list("pk", "seat_price"))
    report = load_demo_price_book()
    assert report.created == report.restored == report.edited == []
    assert len(report.kept) == 10  # the book, 4 plans, 3 tiers, 2 segments
    assert list(PlanPrice.objects.values_list("pk", "seat_price")) == before


def test_staff_edits_are_kept_and_reported():
    # Given staff raised Premium, changed a tier and added one of their own
    book = demo_book()
    PlanPrice.objects.filter(price_book=book, name="Premium").update(seat_price=Decimal("109"))
    VolumeDiscount.objects.filter(price_book=book, min_seats=250).update(percent=Decimal("17"))
    VolumeDiscount.objects.create(price_book=book, min_seats=1000, percent=Decimal("25"))
    # When the demo is loaded without reset
    report = load_demo_price_book()
    # Then the edits are still stored and named in the report
    assert PlanPrice.objects.get(price_book=book, name="Premium").seat_price == Decimal("109")
    assert VolumeDiscount.objects.get(price_book=book, min_seats=250).percent == Decimal("17")
    assert VolumeDiscount.objects.filter(price_book=book, min_seats=1000).exists()
    assert report.edited == ["plan Premium", "volume tier from 250", "volume tier from 1000"]
    assert report.created == report.restored == []
    assert quote_price(plan="Premium", seats=10).monthly_total == Decimal("1090.00")


def test_reset_restores_the_demo_book_exactly():
    # Given edited, added and deleted rows, and the book switched to monthly-first stacking
    book = demo_book()
    PlanPrice.objects.filter(price_book=book, name="Premium").update(seat_price=Decimal("109"))
    VolumeDiscount.objects.create(price_book=book, min_seats=1000, percent=Decimal("25"))
    SegmentDiscount.objects.filter(price_book=book, segment="education").delete()
    PriceBook.objects.filter(pk=book.pk).update(stack_order=["monthly_surcharge", "volume", "segment"])
    # When the demo is reset
    report = load_demo_price_book(reset=True)
    # Then the demo prices, tiers and order are back, and the staff-added tier is gone
    assert PlanPrice.objects.get(price_book=book, name="Premium").seat_price == Decimal("99")
    assert list(book.volume_discounts.values_list("min_seats", flat=True)) == [100, 250, 500]
    assert book.segment_discounts.filter(segment="education").exists()
    assert demo_book().stack_order == ["volume", "segment", "monthly_surcharge"]
    assert report.created == ["segment education"]
    assert sorted(report.restored) == [DEMO, "plan Premium", "volume tier from 1000"]
    assert quote_price(plan="Standard", seats=150, segment="education").monthly_total == Decimal("4630.50")


def test_a_deleted_demo_plan_is_recreated_and_others_left_alone():
    book = demo_book()
    PlanPrice.objects.filter(price_book=book, name="Basic").delete()
    PlanPrice.objects.filter(price_book=book, name="Standard").update(max_seats=300)
    report = load_demo_price_book()
    assert PlanPrice.objects.get(price_book=book, name="Basic").seat_price == Decimal("19")
    assert PlanPrice.objects.get(price_book=book, name="Standard").max_seats == 300
    assert report.created == ["plan Basic"]
    assert report.edited == ["plan Standard"]


def test_a_missing_demo_book_does_not_displace_the_book_staff_activated():
    # Given staff replaced the demo book with their own active one
    demo_book().delete()
    staff_book = PriceBook.objects.create(name="Staff prices", is_active=True)
    # When the demo is loaded
    report = load_demo_price_book()
    # Then the demo book is back but inactive, and the staff book stays the one in use
    assert DEMO in report.created
    assert not demo_book().is_active
    staff_book.refresh_from_db()
    assert staff_book.is_active
    # ... until a reset, which restores the demo book as the active one
    load_demo_price_book(reset=True)
    staff_book.refresh_from_db()
    assert demo_book().is_active
    assert not staff_book.is_active


def test_load_demo_command_reports_the_price_book():
    PlanPrice.objects.filter(name="Standard").update(seat_price=Decimal("45"))
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert "price book: 0 created, 0 restored, 10 left alone (1 differ from the demo: plan Standard)" in (
        out.getvalue()
    )
