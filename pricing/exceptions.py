"""Why a quote could not be computed: named errors the agent can turn into the right reply."""

from __future__ import annotations


class QuoteError(Exception):
    """Base of every reason ``quote_price`` gives no quote."""


class NoActivePriceBook(QuoteError):
    """No price book is active, so nothing can be quoted (staff activate one in the admin)."""


class UnknownPlan(QuoteError):
    """The plan is not in the price book; ``known_plans`` lists the ones that are."""

    def __init__(self, plan: str, known_plans: tuple[str, ...]) -> None:
        self.plan = plan
        self.known_plans = known_plans
        super().__init__(
            f"Unknown plan {plan!r}; the price book has: {', '.join(known_plans) or 'no plans'}."
        )


class InvalidSeatCount(QuoteError):
    """Seats must be a whole number of at least 1."""

    def __init__(self, seats: object) -> None:
        self.seats = seats
        super().__init__(f"Seats must be a whole number of at least 1, not {seats!r}.")


class QuoteNeedsSales(QuoteError):
    """The request is sales territory: a custom-pricing plan, or more seats than the plan is quoted for.

    ``max_seats`` is the most seats a quote covers: the plan's own limit, or for a custom-pricing plan
    the largest limit of the book's quotable plans (None when there is none). ``custom_plan`` is the
    book's custom-pricing plan, the one sales would offer (None when the book has none).
    """

    def __init__(
        self,
        *,
        plan: str,
        seats: int,
        max_seats: int | None,
        custom_pricing: bool,
        custom_plan: str | None = None,
    ) -> None:
        self.plan = plan
        self.seats = seats
        self.max_seats = max_seats
        self.custom_pricing = custom_pricing
        self.custom_plan = custom_plan
        reason = "has custom pricing" if custom_pricing else f"is quoted for at most {max_seats} seats"
        super().__init__(f"{plan} {reason}; {seats} seats need a conversation with sales.")
