"""The words the knowledge base uses, to tell a question it can answer from one it cannot.

A prospect asking about a tool or a standard the knowledge base never mentions ("HIPAA", "Jira")
must get "let me check with the team", not a nearby answer about something else. The vocabulary is
built from the active documents' chunks and cached per index version, so edits are seen at once.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from typing import NamedTuple

from django.db import connection

from knowledge.index_version import search_version
from knowledge.languages import DEFAULT_LANGUAGE
from pricing.money import MONEY_PATTERN

WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)
# A price and what it is per, as an English document states it: "$39 per agent per month".
PRICE_PER_RE = re.compile(rf"{MONEY_PATTERN}\s+(?:a|per)\s+([a-z]+)\b", re.IGNORECASE)
# A price per period says nothing about the unit sold.
PERIODS = frozenset({"month", "year", "annum", "quarter", "week", "day", "hour", "minute"})
# How often the documents must price per the same word for it to count as what the company sells.
MIN_PRICED_UNIT_MENTIONS = 2


class _Read(NamedTuple):
    words: frozenset[str]
    unit: tuple[str, str] | None


_cache: tuple[int, _Read] | None = None
_lock = threading.Lock()


def words_of(text: str) -> list[str]:
    return WORD_RE.findall(text.lower())


def priced_unit_in(texts: list[str]) -> tuple[str, str] | None:
    """What English documents price per ("$39 per agent per month" -> ("agent", "agents")), when at
    least ``MIN_PRICED_UNIT_MENTIONS`` prices say so; the plural as the documents write it after a
    number ("40 agents"), else with an s."""
    counts = Counter(
        match.group(1).lower()
        for text in texts
        for match in PRICE_PER_RE.finditer(text)
        if match.group(1).lower() not in PERIODS
    )
    if not counts:
        return None
    singular, mentions = counts.most_common(1)[0]
    if mentions < MIN_PRICED_UNIT_MENTIONS:
        return None
    plurals = Counter(
        match.group(1).lower()
        for text in texts
        for match in re.finditer(rf"\d\s+({re.escape(singular)}e?s)\b", text, re.IGNORECASE)
    )
    return singular, plurals.most_common(1)[0][0] if plurals else f"{singular}s"


def _read() -> _Read:
    global _cache
    version = search_version()
    if _cache is not None and _cache[0] == version:
        return _cache[1]
    with _lock:
        if _cache is not None and _cache[0] == version:
            return _cache[1]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT d.title, c.heading_path, c.text, d.language FROM knowledge_chunk c "
                "JOIN knowledge_document d ON d.id = c.document_id WHERE d.is_active"
            )
            rows = cursor.fetchall()
        words = {word for *parts, _ in rows for part in parts for word in words_of(part or "")}
        unit = priced_unit_in([text for _, _, text, language in rows if language == DEFAULT_LANGUAGE])
        _cache = (version, _Read(frozenset(words), unit))
        return _cache[1]


def knowledge_vocabulary() -> frozenset[str]:
    """Every lower-case word in the active knowledge base (titles, headings and chunk text)."""
    return _read().words


def knowledge_priced_unit() -> tuple[str, str] | None:
    """What the active English documents price per (see ``priced_unit_in``), or None."""
    return _read().unit


def unknown_terms(terms: list[str]) -> list[str]:
    """The terms (canonical, lower-case: "power bi") that the knowledge base does not use, i.e. one
    of whose words it never contains ("google workspace": it mentions Google, never Workspace)."""
    vocabulary = knowledge_vocabulary()
    return [term for term in terms if not all(word in vocabulary for word in words_of(term))]
