"""The demo price book (the fact sheet's list prices), shipped as ``pricing/demo/price_book.json``.

The book and each of its plans, volume tiers and segment discounts is a demo row: missing ones are
created, existing ones left alone unless ``reset``. Rows staff added to the demo book are reported as
differing from the demo, and ``reset`` deletes them, because a book's quotes depend on all its rows.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import models, transaction

from pricing.models import PlanPrice, PriceBook, SegmentDiscount, VolumeDiscount
from pricing.services import price_book_save
from salesagent.demo import DemoLoadReport

DEMO_FILE = Path(__file__).resolve().parent / "demo" / "price_book.json"


def _decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _book_fields(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "currency": data["currency"],
        "monthly_billing_surcharge_percent": Decimal(data["monthly_billing_surcharge_percent"]),
        "stack_order": data["stack_order"],
        "is_active": data["is_active"],
    }


def _plan_fields(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "aliases": list(row.get("aliases") or []),
        "seat_price": _decimal(row["seat_price"]),
        "max_seats": row["max_seats"],
        "custom_pricing": row["custom_pricing"],
        "sort_order": row["sort_order"],
    }


def _percent_fields(row: dict[str, Any]) -> dict[str, Any]:
    return {"percent": Decimal(row["percent"])}


def _segment_fields(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "label": row.get("label") or row["segment"],
        "terms": list(row.get("terms") or [row["segment"]]),
        "percent": Decimal(row["percent"]),
        "duration_months": row.get("duration_months"),
    }


def _differs(instance: models.Model | None, fields: dict[str, Any]) -> bool:
    return instance is not None and any(getattr(instance, key) != value for key, value in fields.items())


def _load_book(report: DemoLoadReport, data: dict[str, Any], *, reset: bool) -> PriceBook:
    fields = _book_fields(data)
    book = PriceBook.objects.select_for_update().filter(name=data["name"]).first()
    differs = _differs(book, fields)
    created = book is None
    if book is None:
        if fields["is_active"] and PriceBook.objects.filter(is_active=True).exists():
            fields["is_active"] = False  # another active book is a staff choice the demo does not undo
        book = price_book_save(price_book=PriceBook(name=data["name"], **fields))
    elif differs and reset:
        for key, value in fields.items():
            setattr(book, key, value)
        price_book_save(price_book=book)
    report.record(data["name"], created=created, differs=differs, reset=reset)
    return book


def _load_rows(
    report: DemoLoadReport,
    book: PriceBook,
    model: type[PlanPrice | VolumeDiscount | SegmentDiscount],
    key_field: str,
    rows: list[dict[str, Any]],
    fields_of: Callable[[dict[str, Any]], dict[str, Any]],
    *,
    label: str,
    reset: bool,
) -> None:
    stored = {
        getattr(row, key_field): row for row in model.objects.select_for_update().filter(price_book=book)
    }
    for row in rows:
        key, fields = row[key_field], fields_of(row)
        existing = stored.pop(key, None)
        differs = _differs(existing, fields)
        if existing is None:
            model.objects.create(price_book=book, **{key_field: key}, **fields)
        elif differs and reset:
            model.objects.filter(pk=existing.pk).update(**fields)
        report.record(f"{label} {key}", created=existing is None, differs=differs, reset=reset)
    for key, extra in stored.items():
        if reset:
            extra.delete()
        report.record(f"{label} {key}", created=False, differs=True, reset=reset)


@transaction.atomic
def load_demo_price_book(*, reset: bool = False, path: Path = DEMO_FILE) -> DemoLoadReport:
    """Create the rows of the price book in ``path`` (default: the demo's) that are missing; with
    ``reset``, restore that book exactly."""
    data = json.loads(path.read_text(encoding="utf-8"))
    report = DemoLoadReport()
    book = _load_book(report, data, reset=reset)
    _load_rows(report, book, PlanPrice, "name", data["plans"], _plan_fields, label="plan", reset=reset)
    _load_rows(
        report,
        book,
        VolumeDiscount,
        "min_seats",
        data["volume_discounts"],
        _percent_fields,
        label="volume tier from",
        reset=reset,
    )
    _load_rows(
        report,
        book,
        SegmentDiscount,
        "segment",
        data["segment_discounts"],
        _segment_fields,
        label="segment",
        reset=reset,
    )
    return report
