"""The deterministic claim check used by the evaluation (and, later, the grounding guard)."""

from __future__ import annotations

from conversations.agent.grounding import extract_claims, find_unsupported_claims

EVIDENCE = [
    "The Standard plan costs $49 per seat per month. Bulk discounts: 15% from 250 seats.",
    "A 14-day free trial; see example.com/pricing. Calls Monday to Friday, 9:00 to 18:00.",
]


def test_extract_claims_finds_prices_percentages_quantities_urls_and_times():
    claims = extract_claims(
        "Pay $1,200 for 300 seats, save 15%, within 4 hours; see example.com/docs at 9:00."
    )
    assert claims == ["$1,200", "300 seats", "15%", "4 hours", "example.com/docs", "9:00"]


def test_backed_claims_pass_and_invented_ones_are_reported():
    draft = "Standard is $49 per seat with 15% off from 250 seats and a 14 day trial (example.com/pricing)."
    assert find_unsupported_claims(draft, EVIDENCE) == []
    invented = "Standard is $39, with 25% off and a 30-day trial at example.com/deals."
    assert find_unsupported_claims(invented, EVIDENCE) == ["$39", "25%", "30-day", "example.com/deals"]


def test_a_draft_without_claims_is_supported_by_nothing():
    assert find_unsupported_claims("Happy to help! What does your team need?", []) == []
