"""The deterministic claim check and the grounding guard that applies it to every draft."""

from __future__ import annotations

from conversations.agent.grounding import enforce_grounding, extract_claims, find_unsupported_claims
from conversations.agent.types import NextStep, TurnResult
from knowledge.search import SearchResult

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


def _result(draft: str, chunk_text: str) -> TurnResult:
    chunk = SearchResult(
        chunk_id=1,
        document_slug="plans-and-pricing",
        document_title="Plans and pricing",
        category="pricing",
        heading_path="Plans",
        text=chunk_text,
        score=0.9,
    )
    return TurnResult(
        intent="pricing_inquiry",
        sentiment="neutral",
        entities=[],
        key_points=[],
        priority="medium",
        confidence=0.9,
        draft=draft,
        next_steps=[NextStep("PROVIDE_PRICING_DETAILS", "pricing inquiry")],
        knowledge=[chunk],
        citations=[1],
        prospect=None,
        tool_log=[],
        reasoning=[],
        brain="openai",
        model_name="test",
    )


def test_guard_removes_sentences_with_unbacked_claims():
    result = _result(
        "Thanks for asking. Standard is $49 per seat. Premium is $79 with 25% off. Want a quote?",
        "Standard: $49 per seat per month. Premium: $99 per seat per month.",
    )

    guarded = enforce_grounding(result)

    assert guarded.draft == "Thanks for asking. Standard is $49 per seat. Want a quote?"
    assert guarded.unsupported_claims == ["$79", "25%"]
    assert [step.action for step in guarded.next_steps] == ["PROVIDE_PRICING_DETAILS"]
    assert "removed 1 sentence(s)" in guarded.reasoning_trace


def test_guard_flags_a_draft_it_cannot_repair_and_lists_the_spans():
    result = _result("Premium costs $79 per seat.", "Premium: $99 per seat per month.")

    guarded = enforce_grounding(result)

    assert guarded.draft == "Premium costs $79 per seat."
    flag = guarded.next_steps[-1].as_dict()
    assert flag["action"] == "FLAG_FOR_HUMAN_REVIEW"
    assert flag["details"]["unsupported_claims"] == ["$79"]


def test_guard_leaves_grounded_drafts_alone():
    result = _result("Standard is $49 per seat.", "Standard: $49 per seat per month.")
    assert enforce_grounding(result).draft == "Standard is $49 per seat."
    assert result.unsupported_claims == []
