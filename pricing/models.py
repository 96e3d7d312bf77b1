"""The price book as data: plans with per-seat prices, volume tiers, segment discounts and how they stack.

Staff edit it in the admin; ``pricing/quotes.py`` turns it into quotes. At most one price book is active
(a partial unique constraint); ``pricing/services.py`` deactivates the others when one is activated.
"""

from __future__ import annotations

from collections.abc import Collection
from decimal import Decimal

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import NOT_PROVIDED, Q
from django.db.models.functions import Lower

PERCENT_VALIDATORS = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


def _percent_field(
    *, default: Decimal | type[NOT_PROVIDED] = NOT_PROVIDED, help_text: str = ""
) -> models.DecimalField:
    return models.DecimalField(
        max_digits=5, decimal_places=2, validators=PERCENT_VALIDATORS, default=default, help_text=help_text
    )


def _percent_check(field: str, name: str) -> models.CheckConstraint:
    return models.CheckConstraint(condition=Q(**{f"{field}__gte": 0, f"{field}__lte": 100}), name=name)


class Adjustment(models.TextChoices):
    """The kinds of adjustment a quote applies to the per-seat price, in a price book's stack order."""

    VOLUME = "volume", "Volume (bulk) discount"
    SEGMENT = "segment", "Segment discount"
    MONTHLY_SURCHARGE = "monthly_surcharge", "Monthly billing surcharge"


DEFAULT_STACK_ORDER = [Adjustment.VOLUME, Adjustment.SEGMENT, Adjustment.MONTHLY_SURCHARGE]


def default_stack_order() -> list[str]:
    return [str(kind) for kind in DEFAULT_STACK_ORDER]


class PriceBook(models.Model):
    name = models.CharField(max_length=100, unique=True)
    currency = models.CharField(max_length=3, default="USD", help_text="ISO 4217 code, e.g. USD.")
    monthly_billing_surcharge_percent = _percent_field(
        default=Decimal("0"),
        help_text="How much more a seat costs per month when billed monthly instead of annually.",
    )
    stack_order = ArrayField(
        models.CharField(max_length=20, choices=Adjustment.choices),
        default=default_stack_order,
        help_text=(
            "The order adjustments apply to the per-seat price, comma-separated: "
            "volume,segment,monthly_surcharge. Each step's price is rounded to the cent."
        ),
    )
    is_active = models.BooleanField(
        default=False, help_text="Quotes use the active price book; activating one deactivates the others."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-is_active", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="one_active_price_book"
            ),
            _percent_check("monthly_billing_surcharge_percent", "price_book_surcharge_percent_range"),
        ]

    def __str__(self) -> str:
        return f"{self.name} (active)" if self.is_active else self.name

    def validate_constraints(self, exclude: Collection[str] | None = None) -> None:
        # Saving a book active deactivates the others (services.price_book_save): the one-active
        # constraint guards the database against races, it is not a form error.
        super().validate_constraints(exclude={*(exclude or ()), "is_active"})

    def clean(self) -> None:
        if sorted(self.stack_order or []) != sorted(Adjustment.values):
            raise ValidationError(
                {"stack_order": f"List each adjustment exactly once: {', '.join(Adjustment.values)}."}
            )


class PlanPrice(models.Model):
    price_book = models.ForeignKey(PriceBook, on_delete=models.CASCADE, related_name="plans")
    name = models.CharField(max_length=50, help_text="As replies write it, e.g. Growth.")
    aliases = ArrayField(
        models.CharField(max_length=50),
        default=list,
        blank=True,
        help_text="Other names prospects use for the plan, comma-separated, e.g. Pro for Professional.",
    )
    seat_price = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text="Per seat per month, billed annually. Empty for a custom-pricing plan.",
    )
    max_seats = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Most seats this plan is quoted for; above it the prospect talks to sales. Empty: any.",
    )
    custom_pricing = models.BooleanField(
        default=False,
        help_text="Never quoted by the tool (a top plan priced per deal): the prospect talks to sales.",
    )
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "name"]
        constraints = [
            models.UniqueConstraint("price_book", Lower("name"), name="unique_plan_name_per_price_book"),
            models.CheckConstraint(
                condition=Q(custom_pricing=True) | Q(seat_price__gt=0), name="plan_seat_price_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not self.custom_pricing and self.seat_price is None:
            raise ValidationError({"seat_price": "A plan without custom pricing needs a seat price."})


class VolumeDiscount(models.Model):
    price_book = models.ForeignKey(PriceBook, on_delete=models.CASCADE, related_name="volume_discounts")
    min_seats = models.PositiveIntegerField(
        validators=[MinValueValidator(1)], help_text="Applies from this many seats up to the next tier."
    )
    percent = _percent_field()

    class Meta:
        ordering = ["min_seats"]
        constraints = [
            models.UniqueConstraint(
                fields=["price_book", "min_seats"], name="unique_volume_tier_per_price_book"
            ),
            _percent_check("percent", "volume_discount_percent_range"),
        ]

    def __str__(self) -> str:
        return f"{self.percent.normalize():f}% from {self.min_seats} seats"


class SegmentDiscount(models.Model):
    """A discount for one kind of buyer (nonprofits, schools, startups...), recognised by its terms."""

    price_book = models.ForeignKey(PriceBook, on_delete=models.CASCADE, related_name="segment_discounts")
    segment = models.SlugField(max_length=40, help_text="A short key, e.g. startup.")
    label = models.CharField(
        max_length=80,
        help_text="How a quote names the buyers, after the percentage: '30% discount for <label>'.",
    )
    terms = ArrayField(
        models.CharField(max_length=80),
        default=list,
        help_text=(
            "Words by which prospects say they are such a buyer, in every language you serve, "
            "comma-separated, e.g. startup, start-up, early-stage. Matched as whole words, case-insensitive."
        ),
    )
    percent = _percent_field()
    duration_months = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=(
            "How many months the discount lasts (12: the first year). Empty: for as long as they subscribe."
        ),
    )

    class Meta:
        ordering = ["segment"]
        constraints = [
            models.UniqueConstraint(fields=["price_book", "segment"], name="unique_segment_per_price_book"),
            _percent_check("percent", "segment_discount_percent_range"),
        ]

    def __str__(self) -> str:
        return f"{self.percent.normalize():f}% for {self.label}"

    def clean(self) -> None:
        if not [term for term in self.terms or () if term.strip()]:
            raise ValidationError(
                {"terms": "Give at least one word by which prospects say they are such a buyer."}
            )
