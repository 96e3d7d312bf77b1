"""The company's words, compiled for reading messages: plan names and their aliases (from the active
price book), the tools it integrates with and its competitors (from the company profile), and the
unit its plans are priced per.

Each turn reads the rows in the statement that reads the intents' version
(``conversations/agent/reference_data.py``); ``vocabulary_from_json`` compiles them once per distinct
content, so an edit in the admin shows on the next turn in every process without a restart.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

# The words that make a plan name a plan: "the Growth plan", "basic tier".
PLAN_NOUNS = ("plan", "package", "tier", "edition", "subscription", "plano", "forfait", "paket")


# Term kinds that name a specific product (see ``Vocabulary.named_things``).
NAMED_KINDS = ("integration", "competitor", "other")


def _alternation(spellings: list[str] | tuple[str, ...]) -> str:
    # Longest first, so "Help Scout Plus" wins over "Help Scout"; any run of spaces or a hyphen between words.
    words = sorted({spelling.strip() for spelling in spellings if spelling.strip()}, key=len, reverse=True)
    return "|".join(r"[\s-]*".join(re.escape(part) for part in spelling.split()) for spelling in words)


def spelling_pattern(spellings: list[str] | tuple[str, ...]) -> re.Pattern[str] | None:
    """Any of ``spellings`` as a whole word or phrase, any case, a hyphen or spaces between its words;
    None when there is no spelling."""
    alternatives = _alternation(spellings)
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])", re.IGNORECASE) if alternatives else None


@dataclass(frozen=True)
class PlanSpelling:
    """A plan of the active price book and the other names prospects use for it."""

    name: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Term:
    """A tool or competitor: its canonical (lower-case) entity name and the pattern that finds it."""

    kind: str
    name: str
    entity: str
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class Segment:
    """A segment discount of the active price book and the words that say a prospect is in it."""

    segment: str
    label: str
    terms: tuple[str, ...]


@dataclass(frozen=True)
class Vocabulary:
    """Everything company-specific the agent reads messages and writes replies with."""

    plans: tuple[PlanSpelling, ...] = ()
    segments: tuple[Segment, ...] = ()
    terms: tuple[Term, ...] = ()
    company_name: str = ""
    unit: tuple[str, str] = ("seat", "seats")
    unit_translations: tuple[tuple[str, tuple[str, str]], ...] = ()  # (language, (singular, plural))
    pitch_categories: tuple[str, ...] = ()

    @property
    def plan_names(self) -> tuple[str, ...]:
        return tuple(plan.name for plan in self.plans)

    @property
    def plan_spellings(self) -> dict[str, str]:
        """Every way of writing a plan (name or alias, case-folded) -> the price book's name."""
        spellings: dict[str, str] = {}
        for plan in self.plans:
            for spelling in (*plan.aliases, plan.name):
                spellings[spelling.casefold()] = plan.name
        return spellings

    @property
    def segment_terms(self) -> dict[str, tuple[str, ...]]:
        return {segment.segment: segment.terms for segment in self.segments}

    def unit_words(self, language: str) -> tuple[str, str] | None:
        """The unit's singular and plural in ``language``; None when staff gave none for it."""
        if language == "en":
            return self.unit
        return dict(self.unit_translations).get(language)

    def entities_of_kind(self, kind: str) -> frozenset[str]:
        return frozenset(term.entity for term in self.terms if term.kind == kind)

    def names_of_kind(self, kind: str) -> list[str]:
        """The names of the terms of ``kind`` (integration, competitor...), as replies write them."""
        return [term.name for term in self.terms if term.kind == kind]

    @property
    def named_things(self) -> frozenset[str]:
        """The entities of the tools and competitors: specific things the knowledge base must mention
        for a question about them to be answerable (a feature is a topic, not a thing)."""
        return frozenset(term.entity for term in self.terms if term.kind in NAMED_KINDS)

    def term_mentions(self, text: str) -> list[tuple[int, str]]:
        """(position, entity) of every term ``text`` names, first mention of each."""
        found: list[tuple[int, str]] = []
        for term in self.terms:
            match = term.pattern.search(text)
            if match and all(entity != term.entity for _, entity in found):
                found.append((match.start(), term.entity))
        return found


EMPTY_VOCABULARY = Vocabulary()


def plan_alternation(vocabulary: Vocabulary) -> str:
    """A regular-expression alternation of every plan name and alias (empty when there are none)."""
    return _alternation([spelling for plan in vocabulary.plans for spelling in (plan.name, *plan.aliases)])


def _term(kind: str, name: str, aliases: list[str]) -> Term:
    pattern = spelling_pattern([name, *aliases])
    assert pattern is not None  # a term always has its name
    return Term(kind=kind, name=name, entity=name.lower(), pattern=pattern)


def build_vocabulary(
    price: dict[str, Any] | None,
    company: dict[str, Any] | None,
    knowledge_unit: tuple[str, str] | None = None,
) -> Vocabulary:
    """The vocabulary of the rows as ``reference_data`` reads them (see ``vocabulary_from_json``).

    The unit is the profile's; when staff left it blank, what the knowledge base prices per
    (``knowledge_unit``: "$39 per agent per month"), else seats.
    """
    price = price or {}
    company = company or {}
    profile = company.get("profile") or {}
    plans = tuple(
        PlanSpelling(name=row["name"], aliases=tuple(row.get("aliases") or ()))
        for row in price.get("plans") or ()
    )
    segments = tuple(
        Segment(
            segment=row["segment"],
            label=row.get("label") or row["segment"],
            terms=tuple(row.get("terms") or ()),
        )
        for row in price.get("segments") or ()
    )
    terms = tuple(
        _term(row["kind"], row["name"], list(row.get("aliases") or ())) for row in company.get("terms") or ()
    )
    translations = tuple(
        (language, (str(words[0]), str(words[1])))
        for language, words in sorted((profile.get("unit_translations") or {}).items())
        if isinstance(words, list) and len(words) == 2
    )
    return Vocabulary(
        plans=plans,
        segments=segments,
        terms=terms,
        company_name=profile.get("name") or "",
        unit=(
            (profile["unit_singular"], profile.get("unit_plural") or f"{profile['unit_singular']}s")
            if profile.get("unit_singular")
            else knowledge_unit or ("seat", "seats")
        ),
        unit_translations=translations,
        pitch_categories=tuple(profile.get("pitch_categories") or ()),
    )


@lru_cache(maxsize=8)
def vocabulary_from_json(
    price_json: str | None, company_json: str | None, knowledge_unit: tuple[str, str] | None = None
) -> Vocabulary:
    """The vocabulary of the JSON documents the reference-data statement returns, compiled once."""
    return build_vocabulary(
        json.loads(price_json) if price_json else None,
        json.loads(company_json) if company_json else None,
        knowledge_unit,
    )
