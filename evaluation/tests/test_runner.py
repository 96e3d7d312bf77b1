"""The runner's per-case reading of a turn: the draft's language and the review flag (no database)."""

from __future__ import annotations

from conversations.agent.types import NextStep
from evaluation.runner import draft_language, review_flag


def test_draft_language_detects_spanish_and_english_drafts():
    spanish = "¡Buenas tardes! El plan Standard cuesta 49 USD por usuario al mes, con facturación anual."
    english = "Good afternoon! The Standard plan is $49 per user per month, billed annually."

    assert draft_language(spanish) == "es"
    assert draft_language(english) == "en"
    assert draft_language("   ") == ""


def test_review_flag_reads_every_flag_step_and_its_reason():
    steps = [
        NextStep("PROVIDE_PRICING_DETAILS", "pricing inquiry").as_dict(),
        NextStep("FLAG_FOR_HUMAN_REVIEW", "confidence 0.40 below 0.65").as_dict(),
        NextStep(
            "FLAG_FOR_HUMAN_REVIEW", "the draft makes claims the knowledge base does not back"
        ).as_dict(),
    ]

    assert review_flag(steps) == (
        True,
        ["confidence 0.40 below 0.65", "the draft makes claims the knowledge base does not back"],
    )
    assert review_flag(steps[:1]) == (False, [])
