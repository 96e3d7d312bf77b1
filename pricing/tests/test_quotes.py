"""The quote tool over the demo price book (the fact sheet's list prices), loaded by the session fixture."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from pricing.models import PriceBook, SegmentDiscount, VolumeDiscount
from pricing.quotes import (
    InvalidSeatCount,
    NoActivePriceBook,
    Quote,
    QuoteNeedsSales,
    UnknownPlan,
    example_quotes,
    format_money,
    quote_price,
)

pytestmark = pytest.mark.django_db


def kinds(quote) -> list[tuple[str, str]]:
    return [(step.kind, f"{step.percent.normalize():f}") for step in quote.adjustments]


@pytest.mark.parametrize(
    ("plan", "seats", "billing", "segment", "monthly", "annual"),
    [
        ("Standard", 40, "annual", None, "1960.00", "23520.00"),
        ("Premium", 250, "annual", None, "21037.50", "252450.00"),
        ("Standard", 150, "annual", "education", "4630.50", "55566.00"),
        ("Basic", 30, "monthly", None, "684.00", "8208.00"),
        ("Premium", 400, "annual", None, "33660.00", "403920.00"),
        ("Standard", 25, "annual", "nonprofit", "857.50", "10290.00"),
        ("Standard", 500, "annual", None, "19600.00", "235200.00"),
    ],
)
def test_worked_examples_from_the_fact_sheet(plan, seats, billing, segment, monthly, annual):
    quote = quote_price(plan=plan, seats=seats, billing=billing, segment=segment)
    assert quote.monthly_total == Decimal(monthly)
    assert quote.annual_total == Decimal(annual)
    assert quote.annual_total == quote.monthly_total * 12
    assert quote.currency == "USD"


@pytest.mark.parametrize(
    ("seats", "percent", "seat_price"),
    [
        (1, None, "49.00"),
        (99, None, "49.00"),
        (100, "10", "44.10"),
        (249, "10", "44.10"),
        (250, "15", "41.65"),
        (499, "15", "41.65"),
        (500, "20", "39.20"),
    ],
)
def test_every_volume_tier_boundary(seats, percent, seat_price):
    # When Standard ($49) is quoted just below and at each tier's threshold
    quote = quote_price(plan="Standard", seats=seats)
    # Then the tier starts exactly at its threshold
    assert kinds(quote) == ([("volume", percent)] if percent else [])
    assert quote.seat_price == Decimal(seat_price)
    assert quote.monthly_total == Decimal(seat_price) * seats


def test_volume_discount_comes_before_the_segment_discount_and_each_step_is_rounded():
    # Basic $19 x 0.85 = $16.15, then x 0.70 = $11.305, which rounds half-up to $11.31 per seat
    quote = quote_price(plan="Basic", seats=250, segment="nonprofit")
    assert kinds(quote) == [("volume", "15"), ("segment", "30")]
    assert [step.seat_price for step in quote.adjustments] == [Decimal("16.15"), Decimal("11.31")]
    assert quote.monthly_total == Decimal("2827.50")  # 250 x $11.31, not 250 x $11.305


def test_stack_order_is_data():
    # Given a price book that applies the segment discount before the volume discount
    book = PriceBook.objects.get(is_active=True)
    book.stack_order = ["segment", "volume", "monthly_surcharge"]
    book.save()
    # When the same request is quoted: Basic $19 x 0.70 = $13.30, then x 0.85 = $11.305 -> $11.31
    quote = quote_price(plan="Basic", seats=250, segment="nonprofit")
    # Then the steps follow the stored order
    assert kinds(quote) == [("segment", "30"), ("volume", "15")]
    assert [step.seat_price for step in quote.adjustments] == [Decimal("13.30"), Decimal("11.31")]


def test_monthly_billing_without_discounts_adds_the_surcharge_to_the_seat_price():
    quote = quote_price(plan="Premium", seats=10, billing="monthly")
    assert kinds(quote) == [("monthly_surcharge", "20")]
    assert quote.list_seat_price == Decimal("99.00")
    assert quote.seat_price == Decimal("118.80")
    assert quote.monthly_total == Decimal("1188.00")
    assert quote.billing == "monthly"


def test_monthly_billing_applies_after_the_discounts():
    # Standard $49 -10% = $44.10, -30% = $30.87, +20% = $37.044 -> $37.04 per seat
    quote = quote_price(plan="Standard", seats=150, billing="monthly", segment="education")
    assert kinds(quote) == [("volume", "10"), ("segment", "30"), ("monthly_surcharge", "20")]
    assert quote.seat_price == Decimal("37.04")
    assert quote.monthly_total == Decimal("5556.00")


def test_segment_without_a_discount_in_the_book_is_quoted_at_the_regular_price():
    SegmentDiscount.objects.filter(segment="education").delete()
    quote = quote_price(plan="Standard", seats=10, segment="education")
    assert quote.adjustments == ()
    assert quote.segment == "education"
    assert quote.monthly_total == Decimal("490.00")


def test_above_the_plan_maximum_needs_sales_and_says_the_limit():
    with pytest.raises(QuoteNeedsSales) as raised:
        quote_price(plan="Standard", seats=501)
    assert raised.value.max_seats == 500
    assert raised.value.seats == 501
    assert raised.value.custom_pricing is False


def test_custom_pricing_plan_needs_sales_at_any_size():
    with pytest.raises(QuoteNeedsSales) as raised:
        quote_price(plan="enterprise", seats=20)
    assert raised.value.plan == "Enterprise"
    assert raised.value.custom_pricing is True
    assert raised.value.max_seats == 500  # the most seats the book's priced plans are quoted for


def test_unknown_plan_lists_the_known_ones():
    with pytest.raises(UnknownPlan) as raised:
        quote_price(plan="Platinum", seats=10)
    assert raised.value.known_plans == ("Basic", "Standard", "Premium", "Enterprise")


def test_plan_names_are_matched_case_insensitively_with_a_plan_suffix():
    assert quote_price(plan="  premium PLAN ", seats=2).plan == "Premium"


@pytest.mark.parametrize("seats", [0, -5, True, 2.5, "40"])
def test_seats_must_be_a_positive_whole_number(seats):
    with pytest.raises(InvalidSeatCount):
        quote_price(plan="Basic", seats=seats)


def test_bad_billing_is_a_caller_bug():
    with pytest.raises(ValueError, match="billing"):
        quote_price(plan="Basic", seats=3, billing="weekly")  # type: ignore[arg-type]


def test_a_segment_the_book_has_no_discount_for_is_quoted_at_the_regular_price():
    quote = quote_price(plan="Basic", seats=3, segment="government")

    assert quote.segment == "government"
    assert quote.adjustments == ()
    assert quote.seat_price == Decimal("19.00")


def test_no_active_price_book():
    PriceBook.objects.update(is_active=False)
    with pytest.raises(NoActivePriceBook):
        quote_price(plan="Basic", seats=3)


def test_a_given_price_book_is_read_fresh_from_the_database():
    # Given a caller holding a price book instance, and a tier edited since it was loaded
    book = PriceBook.objects.get(is_active=True)
    VolumeDiscount.objects.filter(price_book=book, min_seats=100).update(percent=Decimal("12"))
    # When it is passed to the tool
    quote = quote_price(plan="Standard", seats=100, price_book=book)
    # Then the stored tier is used
    assert kinds(quote) == [("volume", "12")]


def test_as_dict_is_json_safe_with_amounts_as_strings():
    quote = quote_price(plan="Standard", seats=150, segment="education")
    data = json.loads(json.dumps(quote.as_dict()))
    assert data["monthly_total"] == "4630.50"
    assert data["annual_total"] == "55566.00"
    assert data["list_seat_price"] == "49.00"
    assert data["seat_price"] == "30.87"
    assert data["adjustments"] == [
        {
            "kind": "volume",
            "percent": "10",
            "seat_price": "44.10",
            "min_seats": 100,
            "label": "",
            "duration_months": None,
        },
        {
            "kind": "segment",
            "percent": "30",
            "seat_price": "30.87",
            "min_seats": None,
            "label": "schools and universities",
            "duration_months": None,
        },
    ]
    assert "$4,630.50 per month" in quote.describe()


def test_quotes_are_repeatable():
    first = quote_price(plan="Premium", seats=333, billing="monthly", segment="nonprofit")
    assert quote_price(plan="Premium", seats=333, billing="monthly", segment="nonprofit") == first


def test_example_quotes_cover_every_plan_in_one_read(django_assert_max_num_queries):
    book = PriceBook.objects.get(is_active=True)
    with django_assert_max_num_queries(4):
        table = example_quotes(price_book=book, seat_counts=(10, 500, 501))
    assert [plan for plan, _ in table] == ["Basic", "Standard", "Premium", "Enterprise"]
    standard = dict(table)["Standard"]
    quotes = [cell for cell in standard[:2] if isinstance(cell, Quote)]
    assert [quote.monthly_total for quote in quotes] == [Decimal("490.00"), Decimal("19600.00")]
    assert isinstance(standard[2], QuoteNeedsSales)
    assert all(isinstance(cell, QuoteNeedsSales) for cell in dict(table)["Enterprise"])


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        (Decimal("1960"), "USD", "$1,960"),
        (Decimal("1960.00"), "USD", "$1,960"),
        (Decimal("21037.5"), "USD", "$21,037.50"),
        (Decimal("403920"), "USD", "$403,920"),
        (Decimal("1234567.891"), "USD", "$1,234,567.89"),
        (Decimal("0.005"), "USD", "$0.01"),
        (Decimal("49"), "USD", "$49"),
        (Decimal("22.8"), "USD", "$22.80"),
        (Decimal("-12.5"), "USD", "-$12.50"),
        (Decimal("1500"), "EUR", "€1,500"),
        (Decimal("1500.25"), "CHF", "1,500.25 CHF"),
    ],
)
def test_format_money(amount, currency, text):
    assert format_money(amount, currency) == text
