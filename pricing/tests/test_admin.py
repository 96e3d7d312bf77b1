"""Price book admin: staff edit plans, tiers and discounts inline, and the next quote uses the edit."""

from __future__ import annotations

from decimal import Decimal
from html.parser import HTMLParser

import pytest

from pricing.models import PlanPrice, PriceBook
from pricing.quote_requests import read_quote_request
from pricing.quotes import quote_price

pytestmark = pytest.mark.django_db


class _FormValues(HTMLParser):
    """The values a browser would submit for the admin change form (inputs, selects, textareas)."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        name = attributes.get("name")
        if tag == "input" and name and attributes.get("type") not in {"submit", "button"}:
            if attributes.get("type") == "checkbox":
                if "checked" in attributes:
                    self.values[name] = "on"
            else:
                self.values[name] = attributes.get("value") or ""
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in attributes:
            self.values[self._select] = attributes.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.values[self._textarea] += data.lstrip("\n")


def change_form(admin_client, book: PriceBook) -> dict[str, str]:
    parser = _FormValues()
    parser.feed(admin_client.get(f"/admin/pricing/pricebook/{book.pk}/change/").content.decode())
    return parser.values


def inline_prefix(values: dict[str, str], prefix: str, **match: str) -> str:
    """The form prefix (e.g. ``plans-1``) of the inline row whose fields have the given values."""
    index = 0
    while f"{prefix}-{index}-id" in values:
        row = f"{prefix}-{index}"
        if all(values.get(f"{row}-{field}") == value for field, value in match.items()):
            return row
        index += 1
    raise AssertionError(f"no {prefix} row with {match}")


def test_editing_a_plan_price_in_the_admin_changes_the_next_quote(admin_client):
    # Given the demo price book quotes Standard at $49 per seat
    book = PriceBook.objects.get(is_active=True)
    assert quote_price(plan="Standard", seats=40).monthly_total == Decimal("1960.00")
    values = change_form(admin_client, book)
    # When staff change Standard's seat price to $45 in the inline and save
    row = inline_prefix(values, "plans", name="Standard")
    values[f"{row}-seat_price"] = "45.00"
    response = admin_client.post(f"/admin/pricing/pricebook/{book.pk}/change/", values)
    # Then the price is stored and the next quote uses it
    assert response.status_code == 302, response.content.decode()[:2000]
    assert PlanPrice.objects.get(price_book=book, name="Standard").seat_price == Decimal("45.00")
    assert quote_price(plan="Standard", seats=40).monthly_total == Decimal("1800.00")


def test_editing_a_volume_tier_in_the_admin_changes_the_next_quote(admin_client):
    book = PriceBook.objects.get(is_active=True)
    values = change_form(admin_client, book)
    row = inline_prefix(values, "volume_discounts", min_seats="100")
    values[f"{row}-min_seats"] = "50"
    response = admin_client.post(f"/admin/pricing/pricebook/{book.pk}/change/", values)
    assert response.status_code == 302
    assert book.volume_discounts.filter(min_seats=50).exists()
    assert quote_price(plan="Standard", seats=60).seat_price == Decimal("44.10")


def test_the_admin_rejects_an_out_of_range_percent_and_a_duplicate_tier(admin_client):
    # Given staff enter a 120% segment discount and a second tier at 250 seats
    book = PriceBook.objects.get(is_active=True)
    values = change_form(admin_client, book)
    values[f"{inline_prefix(values, 'segment_discounts', segment='nonprofit')}-percent"] = "120"
    values[f"{inline_prefix(values, 'volume_discounts', min_seats='100')}-min_seats"] = "250"
    # When they save
    response = admin_client.post(f"/admin/pricing/pricebook/{book.pk}/change/", values)
    # Then the form comes back with errors and nothing is stored
    assert response.status_code == 200
    page = response.content.decode()
    assert "less than or equal to 100" in page
    assert "already exists" in page or "duplicate" in page.lower()
    assert book.segment_discounts.get(segment="nonprofit").percent == Decimal("30")
    assert sorted(book.volume_discounts.values_list("min_seats", flat=True)) == [100, 250, 500]


def test_the_admin_rejects_a_plan_without_price_unless_it_is_custom_and_a_bad_stack_order(admin_client):
    book = PriceBook.objects.get(is_active=True)
    values = change_form(admin_client, book)
    values[f"{inline_prefix(values, 'plans', name='Basic')}-seat_price"] = ""
    values["stack_order"] = "volume,volume,segment"
    response = admin_client.post(f"/admin/pricing/pricebook/{book.pk}/change/", values)
    assert response.status_code == 200
    page = response.content.decode()
    assert "needs a seat price" in page
    assert "exactly once" in page
    assert PlanPrice.objects.get(price_book=book, name="Basic").seat_price == Decimal("19.00")


def test_saving_another_book_active_deactivates_the_demo_book(admin_client):
    # Given the demo book is active
    demo = PriceBook.objects.get(is_active=True)
    # When staff add a new price book marked active
    response = admin_client.post(
        "/admin/pricing/pricebook/add/",
        {
            "name": "2027 list prices",
            "currency": "USD",
            "is_active": "on",
            "monthly_billing_surcharge_percent": "25",
            "stack_order": "volume,segment,monthly_surcharge",
            "plans-TOTAL_FORMS": "1",
            "plans-INITIAL_FORMS": "0",
            "plans-0-name": "Standard",
            "plans-0-seat_price": "55",
            "plans-0-max_seats": "1000",
            "plans-0-sort_order": "1",
            "volume_discounts-TOTAL_FORMS": "0",
            "volume_discounts-INITIAL_FORMS": "0",
            "segment_discounts-TOTAL_FORMS": "0",
            "segment_discounts-INITIAL_FORMS": "0",
        },
    )
    # Then it is the only active book and quotes come from it
    assert response.status_code == 302, response.content.decode()
    demo.refresh_from_db()
    assert not demo.is_active
    assert PriceBook.objects.get(is_active=True).name == "2027 list prices"
    # $55 plus the new book's 25% monthly surcharge
    assert quote_price(plan="Standard", seats=600, billing="monthly").seat_price == Decimal("68.75")


def test_make_active_action_switches_the_active_book(admin_client):
    demo = PriceBook.objects.get(is_active=True)
    other = PriceBook.objects.create(name="Draft prices")
    response = admin_client.post(
        "/admin/pricing/pricebook/", {"action": "make_active", "_selected_action": [other.pk]}
    )
    assert response.status_code == 302
    demo.refresh_from_db()
    other.refresh_from_db()
    assert other.is_active
    assert not demo.is_active


def test_change_page_shows_example_quotes(admin_client):
    book = PriceBook.objects.get(is_active=True)
    page = admin_client.get(f"/admin/pricing/pricebook/{book.pk}/change/").content.decode()
    assert "$1,960" not in page  # 40 seats is not an example size
    assert "$19,600 ($39.20 per seat)" in page  # Standard, 500 seats
    assert "$21,037.50 ($84.15 per seat)" in page  # Premium, 250 seats
    assert "contact sales" in page  # Enterprise


def test_staff_add_a_startup_discount_and_a_plan_alias_that_the_next_turn_reads(admin_client):
    # Given the demo book, with nonprofit and education discounts only
    book = PriceBook.objects.get(is_active=True)
    values = change_form(admin_client, book)
    # When staff add a first-year startup discount and "Pro" as another name for Premium
    index = int(values["segment_discounts-TOTAL_FORMS"])
    values["segment_discounts-TOTAL_FORMS"] = str(index + 1)
    values.update(
        {
            f"segment_discounts-{index}-price_book": str(book.pk),
            f"segment_discounts-{index}-segment": "startup",
            f"segment_discounts-{index}-label": "startups",
            f"segment_discounts-{index}-terms": "startup,start-up,early-stage",
            f"segment_discounts-{index}-percent": "50",
            f"segment_discounts-{index}-duration_months": "12",
        }
    )
    values[f"{inline_prefix(values, 'plans', name='Premium')}-aliases"] = "Pro"
    response = admin_client.post(f"/admin/pricing/pricebook/{book.pk}/change/", values)
    # Then both are stored, and a price question naming either is read and quoted with them
    assert response.status_code == 302, response.content.decode()[:2000]
    assert book.segment_discounts.get(segment="startup").terms == ["startup", "start-up", "early-stage"]
    request = read_quote_request("We're an early-stage startup: how much is Pro for 10 users?")
    assert request is not None
    assert (request.plan, request.segment) == ("Premium", "startup")
    quote = quote_price(plan="Premium", seats=10, segment=request.segment)
    assert quote.seat_price == Decimal("49.50")
    assert quote.adjustments[0].duration_months == 12


def test_a_segment_discount_needs_words_that_identify_its_buyers(admin_client):
    book = PriceBook.objects.get(is_active=True)
    values = change_form(admin_client, book)
    values[f"{inline_prefix(values, 'segment_discounts', segment='nonprofit')}-terms"] = ""

    response = admin_client.post(f"/admin/pricing/pricebook/{book.pk}/change/", values)

    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert book.segment_discounts.get(segment="nonprofit").terms
