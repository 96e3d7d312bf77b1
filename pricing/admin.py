"""Admin for the price book: plans, volume tiers and segment discounts inline, with example quotes."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join

from company.selectors import current_vocabulary
from pricing.models import PlanPrice, PriceBook, SegmentDiscount, VolumeDiscount
from pricing.quotes import Quote, QuoteError, QuoteNeedsSales, example_quotes, format_money
from pricing.services import price_book_activate, price_book_rows_saved, price_book_save

EXAMPLE_SEATS = (10, 100, 250, 500)


class PlanPriceInline(admin.TabularInline):
    model = PlanPrice
    extra = 0
    fields = ("name", "aliases", "seat_price", "max_seats", "custom_pricing", "sort_order")


class VolumeDiscountInline(admin.TabularInline):
    model = VolumeDiscount
    extra = 0
    fields = ("min_seats", "percent")


class SegmentDiscountInline(admin.TabularInline):
    model = SegmentDiscount
    extra = 0
    fields = ("segment", "label", "terms", "percent", "duration_months")


def _example_cell(cell: Quote | QuoteError, unit: str) -> str:
    if isinstance(cell, QuoteNeedsSales):
        return "contact sales"
    if isinstance(cell, QuoteError):
        return str(cell)
    per_seat = format_money(cell.seat_price, cell.currency)
    return f"{format_money(cell.monthly_total, cell.currency)} ({per_seat} per {unit})"


@admin.register(PriceBook)
class PriceBookAdmin(admin.ModelAdmin):
    list_display = ("name", "currency", "is_active", "monthly_billing_surcharge_percent", "updated_at")
    list_filter = ("is_active",)
    search_fields = ("name",)
    readonly_fields = ("example_quotes", "created_at", "updated_at")
    fieldsets = (
        (
            None,
            {"fields": ("name", "currency", "is_active", "monthly_billing_surcharge_percent", "stack_order")},
        ),
        ("Example quotes (per month, billed annually, as saved)", {"fields": ("example_quotes",)}),
        ("History", {"fields": ("created_at", "updated_at")}),
    )
    inlines = [PlanPriceInline, VolumeDiscountInline, SegmentDiscountInline]
    actions = ["make_active"]

    @admin.display(description="example quotes")
    def example_quotes(self, obj: PriceBook) -> str:
        if obj.pk is None:
            return "Save the price book to see example quotes."
        # The unit as quotes write it: the profile's, else what the knowledge base prices per.
        singular, plural = current_vocabulary().unit
        header = format_html_join("", "<th>{} {}</th>", ((seats, plural) for seats in EXAMPLE_SEATS))
        rows = format_html_join(
            "",
            "<tr><th>{}</th>{}</tr>",
            (
                (
                    plan,
                    format_html_join("", "<td>{}</td>", ((_example_cell(cell, singular),) for cell in cells)),
                )
                for plan, cells in example_quotes(price_book=obj, seat_counts=EXAMPLE_SEATS)
            ),
        )
        return format_html(
            "<table><thead><tr><th>plan</th>{}</tr></thead><tbody>{}</tbody></table>", header, rows
        )

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        price_book_rows_saved()

    def save_model(self, request: HttpRequest, obj: PriceBook, form, change: bool) -> None:
        # Saving a book active deactivates the previously active one (one active book at a time).
        price_book_save(price_book=obj)

    @admin.action(description="Make the selected price book the active one")
    def make_active(self, request: HttpRequest, queryset: QuerySet[PriceBook]) -> None:
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one price book to activate.", messages.ERROR)
            return
        price_book = price_book_activate(price_book=queryset.get())
        self.message_user(request, f"{price_book.name} is now the active price book.", messages.SUCCESS)
