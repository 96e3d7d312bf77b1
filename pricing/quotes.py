"""The deterministic quote tool: plan x seats x billing x segment over the active price book.

Arithmetic is Decimal throughout. Adjustments apply to the per-seat price in the price book's stack
order (volume, then segment, then the monthly billing surcharge), and the per-seat price is rounded
half-up to the cent after each step, as a price sheet would print it; totals are that per-seat price
times the seats. Totals are per month; the annual total is twelve months of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import partial
from typing import Any, Literal

from pricing.exceptions import InvalidSeatCount, NoActivePriceBook, QuoteError, QuoteNeedsSales, UnknownPlan
from pricing.models import Adjustment, PlanPrice, PriceBook, SegmentDiscount, VolumeDiscount
from pricing.selectors import price_book_get_active, price_book_refetch

__all__ = [
    "BILLINGS",
    "Billing",
    "InvalidSeatCount",
    "NoActivePriceBook",
    "Quote",
    "QuoteAdjustment",
    "QuoteError",
    "QuoteNeedsSales",
    "UnknownPlan",
    "example_quotes",
    "format_money",
    "format_percent",
    "quote_price",
    "round_cents",
]

Billing = Literal["annual", "monthly"]
BILLINGS: tuple[str, ...] = ("annual", "monthly")
CENT = Decimal("0.01")
HUNDRED = Decimal("100")
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}
# Words a caller may append to a plan's name ("Growth plan"); they do not change which plan it is.
PLAN_SUFFIXES = (" plan", " tier", " package", " edition", " subscription")


def round_cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def format_percent(percent: Decimal) -> str:
    """``Decimal("15.00")`` -> ``"15"``, ``Decimal("12.50")`` -> ``"12.5"``."""
    return f"{percent.normalize():f}"


def format_money(amount: Decimal, currency: str = "USD") -> str:
    """``$1,960`` for a whole amount, ``$21,037.50`` otherwise; other currencies as ``1,960 CHF``."""
    amount = round_cents(Decimal(amount))
    sign, amount = ("-" if amount < 0 else ""), abs(amount)
    digits = f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,.2f}"
    symbol = CURRENCY_SYMBOLS.get(currency.upper())
    return f"{sign}{symbol}{digits}" if symbol else f"{sign}{digits} {currency.upper()}"


@dataclass(frozen=True)
class QuoteAdjustment:
    """One step applied to the per-seat price; ``seat_price`` is the price after it."""

    kind: str  # an ``Adjustment`` value: volume, segment or monthly_surcharge
    percent: Decimal  # a discount lowers the price by it, the surcharge raises it
    seat_price: Decimal
    min_seats: int | None = None  # the volume tier's threshold
    label: str = ""  # a segment discount's buyers, e.g. "startups"
    duration_months: int | None = None  # a segment discount that lasts this long (12: the first year)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "percent": format_percent(self.percent),
            "seat_price": str(self.seat_price),
            "min_seats": self.min_seats,
            "label": self.label,
            "duration_months": self.duration_months,
        }


@dataclass(frozen=True)
class Quote:
    """A priced request. Amounts are Decimal in ``currency``; totals are per month and per year."""

    price_book: str
    plan: str
    seats: int
    billing: str
    segment: str | None
    currency: str
    list_seat_price: Decimal
    seat_price: Decimal
    monthly_total: Decimal
    annual_total: Decimal
    adjustments: tuple[QuoteAdjustment, ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe (amounts as strings), for the tool log."""
        return {
            "price_book": self.price_book,
            "plan": self.plan,
            "seats": self.seats,
            "billing": self.billing,
            "segment": self.segment,
            "currency": self.currency,
            "list_seat_price": str(self.list_seat_price),
            "seat_price": str(self.seat_price),
            "monthly_total": str(self.monthly_total),
            "annual_total": str(self.annual_total),
            "adjustments": [adjustment.as_dict() for adjustment in self.adjustments],
        }

    def describe(self, unit: tuple[str, str] = ("seat", "seats")) -> str:
        """One English line with every figure, e.g. for a reasoning trace or a staff-facing note;
        ``unit`` is what a plan is priced per, singular and plural."""
        money = partial(format_money, currency=self.currency)
        one, many = unit
        steps = []
        for step in self.adjustments:
            if step.kind == Adjustment.VOLUME:
                label = f"{format_percent(step.percent)}% volume discount from {step.min_seats} {many}"
            elif step.kind == Adjustment.SEGMENT:
                label = f"{format_percent(step.percent)}% discount for {step.label or self.segment}"
                if step.duration_months:
                    label += f" for the first {step.duration_months} months"
            else:
                label = f"{format_percent(step.percent)}% monthly billing surcharge"
            steps.append(f"{label} -> {money(step.seat_price)}")
        billed = "billed monthly" if self.billing == "monthly" else "billed annually"
        chain = f" ({'; '.join(steps)})" if steps else ""
        return (
            f"{self.plan}, {self.seats} {many if self.seats != 1 else one}, {billed}: list "
            f"{money(self.list_seat_price)} per {one} per month{chain}; {money(self.seat_price)} per {one}, "
            f"{money(self.monthly_total)} per month, "
            f"{money(self.annual_total)} per year."
        )


def _plan_key(name: str) -> str:
    key = " ".join(name.split()).casefold()
    for suffix in PLAN_SUFFIXES:
        if key.endswith(suffix):
            return key.removesuffix(suffix)
    return key


def _find_plan(price_book: PriceBook, plan: str) -> PlanPrice:
    plans = list(price_book.plans.all())
    for candidate in plans:
        if _plan_key(plan) in {_plan_key(spelling) for spelling in (candidate.name, *candidate.aliases)}:
            return candidate
    raise UnknownPlan(plan, tuple(candidate.name for candidate in plans))


def _volume_tier(price_book: PriceBook, seats: int) -> VolumeDiscount | None:
    tiers = [tier for tier in price_book.volume_discounts.all() if tier.min_seats <= seats]
    return max(tiers, key=lambda tier: tier.min_seats, default=None)


def _segment_discount(price_book: PriceBook, segment: str | None) -> SegmentDiscount | None:
    return next((row for row in price_book.segment_discounts.all() if row.segment == segment), None)


def _quotable_seat_price(price_book: PriceBook, plan: PlanPrice, seats: int) -> Decimal:
    """The plan's per-seat list price, or QuoteNeedsSales when sales must price this request."""
    if plan.custom_pricing or plan.seat_price is None:
        limits = [row.max_seats for row in price_book.plans.all() if not row.custom_pricing and row.max_seats]
        raise QuoteNeedsSales(
            plan=plan.name,
            seats=seats,
            max_seats=max(limits, default=None),
            custom_pricing=True,
            custom_plan=plan.name,
        )
    if plan.max_seats is not None and seats > plan.max_seats:
        custom = next((row.name for row in price_book.plans.all() if row.custom_pricing), None)
        raise QuoteNeedsSales(
            plan=plan.name, seats=seats, max_seats=plan.max_seats, custom_pricing=False, custom_plan=custom
        )
    return plan.seat_price


def _adjustments(
    price_book: PriceBook, *, seats: int, billing: str, segment: str | None, list_price: Decimal
) -> tuple[QuoteAdjustment, ...]:
    steps: list[QuoteAdjustment] = []
    price = list_price
    for kind in price_book.stack_order:
        percent, min_seats, sign, label, duration = None, None, -1, "", None
        if kind == Adjustment.VOLUME and (tier := _volume_tier(price_book, seats)):
            percent, min_seats = tier.percent, tier.min_seats
        elif kind == Adjustment.SEGMENT and (discount := _segment_discount(price_book, segment)):
            percent, label, duration = discount.percent, discount.label, discount.duration_months
        elif kind == Adjustment.MONTHLY_SURCHARGE and billing == "monthly":
            percent, sign = price_book.monthly_billing_surcharge_percent, 1
        if not percent:
            continue
        price = round_cents(price * (1 + sign * percent / HUNDRED))
        steps.append(
            QuoteAdjustment(
                kind=str(kind),
                percent=percent,
                seat_price=price,
                min_seats=min_seats,
                label=label,
                duration_months=duration,
            )
        )
    return tuple(steps)


def quote_price(
    *,
    plan: str,
    seats: int,
    billing: Billing = "annual",
    segment: str | None = None,
    price_book: PriceBook | None = None,
    active_digest: str | None = None,
) -> Quote:
    """Price ``seats`` of ``plan`` from ``price_book`` (default: the active one, read fresh, or as of
    ``active_digest`` when the caller has just read the active book's digest).

    Raises ``UnknownPlan``, ``InvalidSeatCount``, ``QuoteNeedsSales`` (custom-pricing plan or more
    seats than the plan is quoted for) or ``NoActivePriceBook``, all ``QuoteError``s. A ``billing``
    other than annual/monthly is a caller bug (``ValueError``); a segment the book has no discount
    for is quoted at the regular price.
    """
    if price_book is not None:
        book = price_book_refetch(price_book)
    else:
        book = price_book_get_active(digest=active_digest)
    return _quote(book, plan=plan, seats=seats, billing=billing, segment=segment)


def example_quotes(
    *, price_book: PriceBook, seat_counts: tuple[int, ...]
) -> list[tuple[str, list[Quote | QuoteError]]]:
    """Each plan of ``price_book`` quoted (annual, no segment) at each seat count, or why it cannot be."""
    book = price_book_refetch(price_book)
    table: list[tuple[str, list[Quote | QuoteError]]] = []
    for plan in book.plans.all():
        cells: list[Quote | QuoteError] = []
        for seats in seat_counts:
            try:
                cells.append(_quote(book, plan=plan.name, seats=seats, billing="annual", segment=None))
            except QuoteError as error:
                cells.append(error)
        table.append((plan.name, cells))
    return table


def _quote(book: PriceBook, *, plan: str, seats: int, billing: str, segment: str | None) -> Quote:
    if billing not in BILLINGS:
        raise ValueError(f"billing must be one of {BILLINGS}, not {billing!r}")
    plan_row = _find_plan(book, plan)
    if isinstance(seats, bool) or not isinstance(seats, int) or seats < 1:
        raise InvalidSeatCount(seats)
    list_price = round_cents(_quotable_seat_price(book, plan_row, seats))
    steps = _adjustments(book, seats=seats, billing=billing, segment=segment, list_price=list_price)
    seat_price = steps[-1].seat_price if steps else list_price
    monthly_total = round_cents(seat_price * seats)
    return Quote(
        price_book=book.name,
        plan=plan_row.name,
        seats=seats,
        billing=billing,
        segment=segment,
        currency=book.currency,
        list_seat_price=list_price,
        seat_price=seat_price,
        monthly_total=monthly_total,
        annual_total=round_cents(monthly_total * 12),
        adjustments=steps,
    )
