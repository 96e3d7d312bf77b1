"""The quote tool as the agent uses it: read a price question, compute the quote, log the call, and
write the quote's sentences in the prospect's language.

Both brains use it: the pipeline computes the quote a message asks for before a brain runs (the
local brain states it, the model brain gets it as data), and the model may call ``quote_price``
itself. The quote's figures go into the tool log with their input, and into the turn's tool
evidence, so the grounding guard accepts them although no knowledge-base chunk holds them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from time import perf_counter
from typing import cast

from company.vocabulary import Vocabulary
from conversations.agent.phrases import join_list, phrase
from conversations.agent.types import ToolCall, TurnInput
from knowledge.languages import DEFAULT_LANGUAGE
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
    # The same quote billed monthly, when the prospect did not say how they would pay and monthly
    # billing costs more: "what would Growth cost monthly?" may mean either.
    monthly_alternative: Quote | None = None
    # The same quote billed annually, when the prospect asked for monthly billing and annual costs less.
    annual_alternative: Quote | None = None
    # A price question naming a plan but no head count: the plan's price for one unit (with the
    # segment's discount and the billing asked for), stated while the reply asks how many are needed.
    unit_price: Quote | None = None
    needs_sales: QuoteNeedsSales | None = None
    error: str = ""
    unit: tuple[str, str] = ("seat", "seats")  # what the plans are priced per, singular and plural

    @property
    def asks_for_seats(self) -> bool:
        """A price question naming a plan but no head count: the reply asks for it."""
        return self.request.is_price_question and self.request.plan is not None and self.request.seats is None

    @property
    def facts(self) -> list[str]:
        """The figures a draft may state because the tool computed them."""
        if self.quote is not None:
            alternatives = [
                other.describe(self.unit)
                for other in (self.monthly_alternative, self.annual_alternative)
                if other is not None
            ]
            return [self.quote.describe(self.unit), *alternatives]
        if self.unit_price is not None:
            return [self.unit_price.describe(self.unit)]
        if self.needs_sales is not None and self.needs_sales.max_seats:
            return [
                f"more than {self.needs_sales.max_seats} {self.unit[1]}: custom pricing, a quote from sales"
            ]
        return []

    def describe(self) -> str:
        """One line for a prompt or a trace."""
        if self.quote is not None:
            return self.quote.describe(self.unit)
        if self.needs_sales is not None:
            return str(self.needs_sales)
        return self.error or f"no quote: plan or number of {self.unit[1]} unknown"


def run_quote_tool(
    *,
    plan: str,
    seats: int,
    billing: str = "annual",
    segment: str | None = None,
    requested_by: str = "pipeline",
    price_book_digest: str | None = None,
    unit: tuple[str, str] = ("seat", "seats"),
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
    call = ToolCall("quote_price", tool_input, True, (perf_counter() - started) * 1000, quote.describe(unit))
    return quote, None, call


def quote_for(
    turn: TurnInput,
    *,
    vocabulary: Vocabulary,
    price_book_digest: str | None = None,
    language: str = DEFAULT_LANGUAGE,
) -> tuple[QuoteEvidence | None, list[ToolCall]]:
    """The quote the message asks for, if it asks for one (the tool runs once plan and seats are known),
    and the tool calls made for it: the quote, and its monthly-billing alternative when the prospect did
    not say how they would pay.

    ``vocabulary`` and ``price_book_digest`` are the active price book's as the turn read them.
    """
    request = read_quote_request(
        turn.message,
        context=[item.content for item in turn.history],
        plans=vocabulary.plan_spellings,
        segments=vocabulary.segment_terms,
        language=language,
    )
    if request is None:
        return None, []
    evidence = QuoteEvidence(request, unit=vocabulary.unit)
    if request.plan is not None and request.seats is None and request.is_price_question:
        unit_price, _, call = run_quote_tool(
            plan=request.plan,
            seats=1,
            billing=request.billing,
            segment=request.segment,
            requested_by="unit_price",
            price_book_digest=price_book_digest,
            unit=vocabulary.unit,
        )
        evidence.unit_price = unit_price
        return evidence, [call] if unit_price is not None else []
    if request.plan is None or request.seats is None:
        return evidence, []
    quote, error, call = run_quote_tool(
        plan=request.plan,
        seats=request.seats,
        billing=request.billing,
        segment=request.segment,
        price_book_digest=price_book_digest,
        unit=vocabulary.unit,
    )
    evidence.quote = quote
    if isinstance(error, QuoteNeedsSales):
        evidence.needs_sales = error
    elif error is not None:
        evidence.error = str(error)
    calls = [call]
    alternative = _alternative_billing(quote.billing, request) if quote is not None else None
    if quote is not None and alternative is not None:
        other, _, other_call = run_quote_tool(
            plan=request.plan,
            seats=request.seats,
            billing=alternative,
            segment=request.segment,
            price_book_digest=price_book_digest,
            unit=vocabulary.unit,
        )
        if other is not None and other.seat_price != quote.seat_price:
            calls.append(other_call)
            if alternative == "monthly":
                evidence.monthly_alternative = other
            else:
                evidence.annual_alternative = other
    return evidence, calls


def _alternative_billing(billing: str, request: QuoteRequest) -> str | None:
    """The billing to quote beside ``billing``: monthly beside an annual quote whose billing the prospect
    did not choose ("what would Growth cost monthly?" may mean either), annual beside a monthly one
    (paying month to month costs more, so the annual price is worth knowing)."""
    if billing == "annual" and not request.billing_stated:
        return "monthly"
    if billing == "monthly":
        return "annual"
    return None


def _adjustments_sentence(quote: Quote, language: str) -> str:
    """What the quoted price includes: its discounts and surcharges, in the order applied."""
    parts = []
    for step in quote.adjustments:
        part = phrase(
            ADJUSTMENT_PHRASES[step.kind], language, percent=_percent(step.percent), label=step.label
        )
        if step.duration_months:
            part = phrase("adjustment_duration", language, adjustment=part, months=step.duration_months)
        parts.append(part)
    return phrase("quote_includes", language, adjustments=join_list(parts, language))


def _unit_price_sentences(quote: Quote, language: str, unit_one: str) -> list[str]:
    """The plan's price per unit when the head count is not known yet (the reply then asks for it)."""
    sentence = phrase(
        "quote_plan_price",
        language,
        plan=quote.plan,
        per_seat=format_money(quote.seat_price, currency=quote.currency),
        unit_one=unit_one,
        billing=phrase("billing_monthly" if quote.billing == "monthly" else "billing_annually", language),
    )
    return [sentence, _adjustments_sentence(quote, language)] if quote.adjustments else [sentence]


def _percent(value: Decimal) -> str:
    return format_percent(value)


def unit_words(vocabulary: Vocabulary, language: str) -> tuple[str, str]:
    """What the plans are priced per in ``language``, singular and plural: the company profile's words,
    else the phrasebook's word for users in that language."""
    return vocabulary.unit_words(language) or (phrase("unit_one", language), phrase("unit_other", language))


def quote_sentences(evidence: QuoteEvidence, language: str, vocabulary: Vocabulary) -> list[str]:
    """The quote in the prospect's language: totals, the price per unit, and what it includes."""
    one, many = unit_words(vocabulary, language)
    if evidence.needs_sales is not None:
        needs_sales = evidence.needs_sales
        if not needs_sales.max_seats:
            return []
        if needs_sales.custom_plan:
            return [
                phrase(
                    "quote_custom_plan",
                    language,
                    max_seats=needs_sales.max_seats,
                    unit=many,
                    plan=needs_sales.custom_plan,
                )
            ]
        return [phrase("quote_custom", language, max_seats=needs_sales.max_seats, unit=many)]
    if evidence.quote is None and evidence.unit_price is not None:
        return _unit_price_sentences(evidence.unit_price, language, one)
    quote = evidence.quote
    if quote is None:
        return []
    money = {"currency": quote.currency}
    sentences = [
        phrase(
            "quote_line",
            language,
            seats=f"{quote.seats:,}",
            unit=many if quote.seats != 1 else one,
            plan=quote.plan,
            billing=phrase("billing_monthly" if quote.billing == "monthly" else "billing_annually", language),
            monthly_total=format_money(quote.monthly_total, **money),
            annual_total=format_money(quote.annual_total, **money),
        ),
        phrase("quote_per_seat", language, per_seat=format_money(quote.seat_price, **money), unit_one=one),
    ]
    if quote.adjustments:
        sentences.append(_adjustments_sentence(quote, language))
    alternative = evidence.monthly_alternative
    surcharge = (
        next((step.percent for step in alternative.adjustments if step.kind == "monthly_surcharge"), None)
        if alternative is not None
        else None
    )
    if alternative is not None and surcharge is not None:
        sentences.append(
            phrase(
                "quote_monthly_alternative",
                language,
                percent=_percent(surcharge),
                per_seat=format_money(alternative.seat_price, **money),
                unit_one=one,
                monthly_total=format_money(alternative.monthly_total, **money),
            )
        )
    if evidence.annual_alternative is not None:
        sentences.append(
            phrase(
                "quote_annual_alternative",
                language,
                per_seat=format_money(evidence.annual_alternative.seat_price, **money),
                unit_one=one,
                monthly_total=format_money(evidence.annual_alternative.monthly_total, **money),
            )
        )
    return sentences
