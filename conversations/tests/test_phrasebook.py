"""The reply phrasebook and the intents' reply frames: every language complete, placeholders intact."""

from __future__ import annotations

import json
import re
from pathlib import Path
from string import Formatter

import pytest

from conversations.demo_data import demo_intent_rows, taxonomy_intent_rows
from conversations.models import REPLY_FRAME_KEYS

AGENT_DIR = Path(__file__).resolve().parent.parent / "agent"
PHRASEBOOK = json.loads((AGENT_DIR / "phrasebook.json").read_text(encoding="utf-8"))
DEMO_INTENTS = demo_intent_rows()
# The frames as load_demo writes them, and the company-neutral ones load_taxonomy writes.
FRAMES = {row["name"]: row["reply_frames"] for row in DEMO_INTENTS} | {
    f"{row['name']} (taxonomy)": row["reply_frames"] for row in taxonomy_intent_rows()
}
INTENTS = list(FRAMES)
PHRASEBOOK_LANGUAGES = ["en", "es", "pt", "fr", "de", "it", "nl"]
FRAME_LANGUAGES = ["en", "es", "pt", "fr", "de"]
# Openers and closers surround knowledge-base sentences: they may not claim a figure or a link.
FACTUAL_CLAIM_RE = re.compile(r"\d|[$€£%]|https?:|\.com\b")


def placeholders(text: str) -> list[str]:
    return sorted(name for _, name, _, _ in Formatter().parse(text) if name is not None)


def test_every_phrasebook_language_has_every_key_and_nothing_else():
    assert sorted(PHRASEBOOK) == sorted(PHRASEBOOK_LANGUAGES)
    for language, phrases in PHRASEBOOK.items():
        assert set(phrases) == set(PHRASEBOOK["en"]), language
        assert all(isinstance(text, str) and text.strip() for text in phrases.values()), language


# Values staff write in English (a segment discount's label): a translation may leave them out.
ENGLISH_ONLY_PLACEHOLDERS = {"label"}


@pytest.mark.parametrize("language", PHRASEBOOK_LANGUAGES[1:])
def test_phrasebook_translations_keep_exactly_the_english_placeholders(language):
    for key, english in PHRASEBOOK["en"].items():
        expected = set(placeholders(english))
        found = set(placeholders(PHRASEBOOK[language][key]))
        assert expected - ENGLISH_ONLY_PLACEHOLDERS <= found <= expected, (language, key)


def test_the_phrasebook_uses_the_placeholders_its_callers_fill():
    assert placeholders(PHRASEBOOK["en"]["quote_line"]) == [
        "annual_total",
        "billing",
        "monthly_total",
        "plan",
        "seats",
        "unit",
    ]
    assert placeholders(PHRASEBOOK["en"]["quote_ask_seats"]) == ["unit"]
    assert placeholders(PHRASEBOOK["en"]["adjustment_segment"]) == ["label", "percent"]
    assert placeholders(PHRASEBOOK["en"]["unknown_answer"]) == ["topic"]
    assert placeholders(PHRASEBOOK["en"]["apology_opener"]) == ["name_comma"]


def test_every_intent_has_an_opener_and_closer_in_every_language():
    assert sorted(FRAMES) == sorted(INTENTS)
    for intent, by_language in FRAMES.items():
        assert sorted(by_language) == sorted(FRAME_LANGUAGES), intent
        for language, frame in by_language.items():
            # An opener and a closer each; "after_quote" (the closer once a quote is stated) optional.
            assert {"opener", "closer"} <= set(frame) <= set(REPLY_FRAME_KEYS), (intent, language)
            assert all(text.strip() for text in frame.values()), (intent, language)


@pytest.mark.parametrize("language", FRAME_LANGUAGES[1:])
def test_reply_frames_keep_exactly_the_english_placeholders(language):
    for intent, by_language in FRAMES.items():
        for part in ("opener", "closer"):
            english = by_language["en"][part]
            assert placeholders(by_language[language][part]) == placeholders(english), (intent, part)


def test_openers_and_closers_make_no_factual_claims():
    for intent, by_language in FRAMES.items():
        for language, frame in by_language.items():
            for text in frame.values():
                assert not FACTUAL_CLAIM_RE.search(text), (intent, language, text)
