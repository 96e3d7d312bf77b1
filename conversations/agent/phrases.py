"""The agent's stock sentences (holding replies, apologies, refusals, quote lines) in every language
it writes, from ``phrasebook.json``. Like the intents' reply frames, they make no factual claims
of their own: figures in a quote line come from the quote tool."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from knowledge.languages import DEFAULT_LANGUAGE

PHRASEBOOK_FILE = Path(__file__).resolve().parent / "phrasebook.json"


@cache
def phrasebook() -> dict[str, dict[str, str]]:
    return json.loads(PHRASEBOOK_FILE.read_text(encoding="utf-8"))


def phrase(key: str, language: str, **values: object) -> str:
    """The sentence ``key`` in ``language`` (English when the phrasebook has no such translation)."""
    book = phrasebook()
    text = book.get(language, {}).get(key) or book[DEFAULT_LANGUAGE][key]
    return text.format(**values) if values else text


def name_values(first_name: str) -> dict[str, str]:
    """The values of the ``{name_comma}`` / ``{name_space}`` placeholders for a prospect's first name."""
    return {
        "name_comma": f", {first_name}" if first_name else "",
        "name_space": f" {first_name}" if first_name else "",
    }


def join_list(items: list[str], language: str) -> str:
    """ "a, b and c" in the given language."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {phrase('and', language)} {items[-1]}"
