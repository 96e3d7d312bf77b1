"""The quote tool as the agent uses it: read a price question, compute the quote, log the call, and
write the quote's sentences in the prospect's language.

Both brains use it: the pipeline computes the quote a message asks for before a brain runs (the
local brain states it, the model brain gets it as data), and the model may call ``quote_price``
itself. The quote's figures go into the tool log with their input, and into the turn's tool
evidence, so the grounding guard accepts them although no knowledge-base chunk holds them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from time import perf_counter
from typing import cast

from conversations.agent.phrases import join_list, phrase
from conversations.agent.types import ToolCall, TurnInput
from pricing.exceptions import QuoteError, QuoteNeedsSales
from pricing.quote_requests import QuoteRequest, read_quote_request
from pricing.quotes import BILLINGS, Billing, Quote, format_money, format_percent, quote_price

ADJUSTMENT_PHRASES = {
    "volume": "adjustment_volume",
    "segment": "adjustment_segment",
    "monthly_surcharge": "adjustment_monthly",
}


@dataclass
class QuoteEvidence:
    """A price question read from the message and what the quote tool made of it."""

    request: QuoteRequest
    quote: Quote | None = None
    needs_sales: QuoteNeedsSales | None = None
    error: str = ""

    @property
    def asks_for_seats(self) -> bool:
        """A price question naming a plan but no head count: the reply asks for it."""
        return self.request.is_price_question and self.request.plan is not None and self.request.seats is None

    @property
    def facts(self) -> list[str]:
        """The figures a draft may state because the tool computed them."""
        if self.quote is not None:
            return [self.quote.describe()]
        if self.needs_sales is not None and self.needs_sales.max_seats:
            return [f"more than {self.needs_sales.max_seats} seats: custom pricing, a quote from sales"]
        return []

    def describe(self) -> str:
        """One line for a prompt or a trace."""
        if self.quote is not None:
            return self.quote.describe()
        if self.needs_sales is not None:
            return str(self.needs_sales)
        return self.error or "no quote: plan or seat count unknown"


def run_quote_tool(
    *,
    plan: str,
    seats: int,
    billing: str = "annual",
    segment: str | None = None,
    requested_by: str = "pipeline",
    price_book_digest: str | None = None,
) -> tuple[Quote | None, QuoteError | None, ToolCall]:
    """Call ``quote_price`` and log the call with its input and output; errors are returned, not raised.

    ``price_book_digest``: the active price book's digest as this turn read it (its book may be cached).
    """
    started = perf_counter()
    tool_input: dict[str, object] = {"plan": plan, "seats": seats, "billing": billing, "segment": segment}
    if requested_by != "pipeline":
        tool_input["requested_by"] = requested_by
    try:
        if billing not in BILLINGS:
            raise ValueError(f"billing must be one of {', '.join(BILLINGS)}")
        quote = quote_price(
            plan=plan,
            seats=seats,
            billing=cast(Billing, billing),
            segment=segment,
            active_digest=price_book_digest,
        )
    except (QuoteError, ValueError) as exc:
        error = exc if isinstance(exc, QuoteError) else QuoteError(str(exc))
        ok = isinstance(exc, QuoteNeedsSales)  # a correct answer: this one is for sales
        call = ToolCall("quote_price", tool_input, ok, (perf_counter() - started) * 1000, str(exc)[:300])
        return None, error, call
    call = ToolCall("quote_price", tool_input, True, (perf_counter() - started) * 1000, quote.describe())
    return quote, None, call


def quote_for(
    turn: TurnInput, *, plan_names: Sequence[str] | None = None, price_book_digest: str | None = None
) -> tuple[QuoteEvidence | None, ToolCall | None]:
    """The quote the message asks for, if it asks for one (the tool runs once plan and seats are known).

    ``plan_names`` and ``price_book_digest`` are the active price book's, when the caller has read
    them; else the names are read here and the book is read fresh.
    """
    request = read_quote_request(
        turn.message, context=[item.content for item in turn.history], plan_names=plan_names
    )
    if request is None:
        return None, None
    evidence = QuoteEvidence(request)
    if request.plan is None or request.seats is None:
        return evidence, None
    quote, error, call = run_quote_tool(
        plan=request.plan,
        seats=request.seats,
        billing=request.billing,
        segment=request.segment,
        price_book_digest=price_book_digest,
    )
    evidence.quote = quote
    if isinstance(error, QuoteNeedsSales):
        evidence.needs_sales = error
    elif error is not None:
        evidence.error = str(error)
    return evidence, call


def _percent(value: Decimal) -> str:
    return format_percent(value)


def quote_sentences(evidence: QuoteEvidence, language: str) -> list[str]:
    """The quote in the prospect's language: totals, per-seat price, and what it includes."""
    if evidence.needs_sales is not None:
        max_seats = evidence.needs_sales.max_seats
        return [phrase("quote_enterprise", language, max_seats=max_seats)] if max_seats else []
    quote = evidence.quote
    if quote is None:
        return []
    money = {"currency": quote.currency}
    sentences = [
        phrase(
            "quote_line",
            language,
            seats=f"{quote.seats:,}",
            plan=quote.plan,
            billing=phrase("billing_monthly" if quote.billing == "monthly" else "billing_annually", language),
            monthly_total=format_money(quote.monthly_total, **money),
            annual_total=format_money(quote.annual_total, **money),
        ),
        phrase("quote_per_seat", language, per_seat=format_money(quote.seat_price, **money)),
    ]
    if quote.adjustments:
        parts = [
            phrase(ADJUSTMENT_PHRASES[step.kind], language, percent=_percent(step.percent))
            for step in quote.adjustments
        ]
        sentences.append(phrase("quote_includes", language, adjustments=join_list(parts, language)))
    return sentences
