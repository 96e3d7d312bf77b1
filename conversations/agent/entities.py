"""Entity extraction: plan names, tools and integrations, languages, quantities, dates and topics.

The company's own words (plans and their aliases, segment discounts, tools, competitors, features)
come from its vocabulary (``company/vocabulary.py``, data staff edit); a gazetteer of vocabulary any
B2B sale shares (standards, languages, ways to pay, currencies, commercial topics) and patterns for
quantities and days complete it. Follow-ups such as "how much would that one be?" or "and for 300
more?" borrow the plan named earlier in the conversation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from company.vocabulary import PLAN_NOUNS, Vocabulary, plan_alternation

ANAPHORA_RE = re.compile(r"\b(that one|that plan|this plan|it|that|this one)\b", re.IGNORECASE)
# In "yes, let's do it" the pronoun is the offer being accepted; only a pointed "that one" names a plan.
NAMED_ANAPHORA_RE = re.compile(r"\b(that|this|the same) (one|plan|package|tier)\b", re.IGNORECASE)
# Nouns that count the people or units a quote is for; the company's own unit joins them.
HEAD_COUNT_NOUNS = r"seats?|licen[cs]es?|users?|people|employees|members|staff|agents|analysts|reps"
DAY_RE = re.compile(
    r"\b((?:next|this|on)\s+)?(monday|tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow|"
    r"week|month)\b",
    re.IGNORECASE,
)

# canonical name -> patterns that mention it
GAZETTEER: dict[str, str] = {
    # interfaces
    "rest api": r"rest api",
    "api": r"api(s)?(?! reference)",
    "api reference": r"api reference|api docs",
    "webhooks": r"webhooks?",
    # languages
    "english": r"english",
    "spanish": r"spanish|espa[nñ]ol",
    "portuguese": r"portuguese|portugu[eê]s",
    "french": r"french|fran[cç]ais",
    "german": r"german|deutsch",
    "italian": r"italian",
    "japanese": r"japanese",
    "chinese": r"chinese|mandarin",
    "dutch": r"dutch",
    # security and compliance
    "soc 2": r"soc ?2",
    "iso 27001": r"iso ?27001",
    "gdpr": r"gdpr",
    "hipaa": r"hipaa",
    "baa": r"baas?|business associate agreements?",
    "pci dss": r"pci(?:[- ]dss)?",
    "fedramp": r"fedramp",
    "ccpa": r"ccpa",
    "hitrust": r"hitrust",
    "on-premise": r"on[- ]prem(ise)?s?\b",
    "sso": r"sso|single sign[- ]on",
    "saml": r"saml",
    "encryption": r"encrypt(ed|ion)?",
    "data residency": (
        r"data residency|where (is )?(our |my )?data (is )?(stored|hosted|kept)|data (stored|hosted)"
    ),
    "europe": r"europe|\beu\b",
    "audit logs": r"audit logs?",
    # payments
    "american express": r"american express|amex",
    "visa": r"visa",
    "mastercard": r"master ?card",
    "paypal": r"pay ?pal",
    "credit card": r"credit cards?",
    "bank transfer": r"bank transfer|wire transfer",
    "invoice": r"invoices?|invoicing",
    "installments": r"install?ments?",
    "purchase order": r"purchase orders?",
    # currencies
    # (each ends in \b: "eur" must not match "Europe")
    "usd": r"(?:usd|us dollars?|dollars?)\b",
    "eur": r"(?:eur|euros?)\b",
    "gbp": r"(?:gbp|british pounds?|pounds? sterling|sterling)\b",
    "brl": r"(?:brl|reais|brazilian reals?)\b",
    # identity providers (SSO)
    "okta": r"okta",
    "azure ad": r"azure ad|azure active directory|entra id",
    "google workspace": r"google workspace|g suite",
    # commercial topics
    "volume discount": r"volume discounts?|bulk (discounts?|purchases?|pricing)",
    "discount": r"discounts?(?!.*volume)",
    "price": r"too expensive|pricey|price|pricing|cost",
    "quote": r"quote",
    "refund": r"refunds?|money back|money-back",
    "return policy": r"return policy",
    "cancellation": r"cancel(l?ation|l?ing|l?ed)?",
    "contract": r"contracts?",
    "free trial": r"free trial",
    "trial": r"trial",
    "trial extension": r"(extend|extension)\w*",
    "demo": r"demo",
    "sla": r"\bsla\b|uptime",
    "data export": r"export (our|my|the) data",
    "data": r"(our|my|the) data\b",
    "onboarding": r"onboarding|implementation",
    "rollout time": r"roll(ing)? ?out|rollout",
    "training": r"training|webinars?",
    "documentation": r"documentation|\bdocs\b",
    "video tutorials": r"video tutorials?|videos?",
    "tutorials": r"tutorials?",
    "case studies": r"case stud(y|ies)",
    "support team": r"support team",
    "support": r"(customer )?support(?! team)",
    "response time": (
        r"response times?|took \w+ (days|hours|weeks) to (answer|reply|respond)"
        r"|no one (responded|replied|answered)"
    ),
    "sales team": r"sales (team|rep|representative|person)",
    "mailing list": r"mailing list|newsletter|unsubscribe",
    "another vendor": r"(another|other|different) (vendor|provider|tool|solution)",
    "solution fit": r"fits? our needs|(right|good) fit|fits us",
    "data migration": r"migrat(e|ion)",
}
# Gazetteer entries that name a specific thing (a tool, a standard, a language, a way to pay): if the
# knowledge base never mentions one, a question about it cannot be answered from the knowledge base.
GENERIC_NAMED_THINGS = frozenset(
    {
        "webhooks",
        *("english", "spanish", "portuguese", "french", "german", "italian", "japanese", "chinese", "dutch"),
        *("soc 2", "iso 27001", "gdpr", "hipaa", "baa", "pci dss", "fedramp", "ccpa", "hitrust", "saml"),
        *("on-premise", "american express", "visa", "mastercard", "paypal", "bank transfer"),
        *("purchase order", "usd", "eur", "gbp", "brl", "okta", "azure ad", "google workspace"),
    }
)
_COMPILED = [(name, re.compile(rf"\b(?:{pattern})", re.IGNORECASE)) for name, pattern in GAZETTEER.items()]
# When a specific entity is present, its generic parent adds nothing.
SUBSUMED_BY = {
    "discount": {"volume discount"},
    "trial": {"free trial", "trial extension"},
    "tutorials": {"video tutorials"},
    "api": {"api reference", "rest api"},
    "support": {"support team"},
    "data": {"data residency", "data export", "data migration", "data sources"},
}


@dataclass(frozen=True)
class _CompiledPlans:
    mention: re.Pattern[str] | None  # a plan name, with its noun if any
    pair: re.Pattern[str] | None  # "basic and standard package": two names sharing one noun
    spellings: dict[str, str]  # case-folded spelling -> the price book's name
    quantity: re.Pattern[str]
    unit: str


@lru_cache(maxsize=8)
def _compiled(vocabulary: Vocabulary) -> _CompiledPlans:
    names = plan_alternation(vocabulary)
    nouns = "|".join(PLAN_NOUNS)
    one, many = vocabulary.unit
    units = "|".join(re.escape(word) for word in sorted({one, many}, key=len, reverse=True))
    quantity = re.compile(rf"\b(\d{{1,3}}(?:,\d{{3}})+|\d+)\s*({units}|{HEAD_COUNT_NOUNS})\b", re.IGNORECASE)
    if not names:
        return _CompiledPlans(None, None, {}, quantity, many)
    return _CompiledPlans(
        mention=re.compile(
            rf"(?<![\w-])(?P<name>{names})(?![\w-])(?:\s+(?P<noun>{nouns}))?\b", re.IGNORECASE
        ),
        pair=re.compile(
            rf"(?<![\w-])(?P<first>{names})\s*(?:and|or|vs\.?|versus|&|/)\s*(?P<second>{names})"
            rf"(?:\s+(?P<noun>{nouns})s?)?\b",
            re.IGNORECASE,
        ),
        spellings=vocabulary.plan_spellings,
        quantity=quantity,
        unit=many,
    )


def _plan_entity(name: str, noun: str | None) -> str:
    return f"{name.lower()} {'package' if (noun or '').lower() == 'package' else 'plan'}"


def plan_mentions(text: str, vocabulary: Vocabulary) -> list[tuple[int, str, str | None, bool]]:
    """(position, price-book name, plan noun, explicit) of each plan ``text`` names.

    A mention is explicit when it is written as a name (capitalised) or followed by a plan noun
    ("the growth plan"). Plan names are often ordinary words ("scale", "growth", "basic"), so when a
    message has an explicit mention its bare lower-case ones ("we need to scale our team") are words,
    not plans; alone they still count, since prospects write "how much is premium?".
    """
    compiled = _compiled(vocabulary)
    if compiled.mention is None:
        return []
    found: list[tuple[int, str, str | None, bool]] = []
    for match in compiled.mention.finditer(text):
        written = match.group("name")
        name = compiled.spellings.get(" ".join(written.split()).casefold())
        if name is None:
            continue
        explicit = bool(match.group("noun")) or written[:1].isupper()
        found.append((match.start(), name, match.group("noun"), explicit))
    if any(explicit for *_, explicit in found):
        found = [mention for mention in found if mention[3]]
    return found


def plan_names_in(text: str, vocabulary: Vocabulary) -> list[str]:
    """The price book's names of the plans ``text`` names explicitly, once each, in order."""
    return list(dict.fromkeys(name for _, name, _, explicit in plan_mentions(text, vocabulary) if explicit))


def _plan_entities(text: str, vocabulary: Vocabulary) -> list[str]:
    compiled = _compiled(vocabulary)
    found: list[str] = []
    if compiled.pair is not None:
        # "basic and standard package", "Growth vs Scale": both names share the trailing noun.
        for match in compiled.pair.finditer(text):
            for written in (match.group("first"), match.group("second")):
                name = compiled.spellings.get(" ".join(written.split()).casefold())
                if name and (entity := _plan_entity(name, match.group("noun"))) not in found:
                    found.append(entity)
    for _, name, noun, explicit in plan_mentions(text, vocabulary):
        if not explicit:
            continue  # an entity names the plan as a plan; a bare lower-case word may be just a word
        entity = _plan_entity(name, noun)
        if entity not in found:
            found.append(entity)
    return found


def _quantity_entities(text: str, vocabulary: Vocabulary) -> list[str]:
    compiled = _compiled(vocabulary)
    found = []
    for number, unit in compiled.quantity.findall(text):
        unit = unit.lower()
        noun = "licenses" if unit.startswith("licen") else compiled.unit
        found.append(f"{number.replace(',', '')} {noun}")
    return found


def _day_entities(text: str) -> list[str]:
    found = []
    for prefix, day in DAY_RE.findall(text):
        prefix = prefix.strip().lower()
        if day.lower() in {"week", "month"} and prefix not in {"next", "this"}:
            continue
        found.append(f"{prefix} {day.lower()}".strip() if prefix in {"next", "this"} else day.lower())
    return found


def gazetteer_entities(text: str, vocabulary: Vocabulary) -> list[str]:
    """The vocabulary ``text`` mentions (the company's terms and segments, standards, topics), canonical
    names in order."""
    positions: list[tuple[int, str]] = list(vocabulary.term_mentions(text))
    for name, pattern in _COMPILED:
        match = pattern.search(text)
        if match:
            positions.append((match.start(), name))
    for segment, pattern in _segment_patterns(vocabulary):
        match = pattern.search(text)
        if match:
            positions.append((match.start(), f"{segment} discount"))
    named = {name for _, name in positions}
    subsumed = {
        **SUBSUMED_BY,
        "discount": SUBSUMED_BY["discount"] | {f"{s.segment} discount" for s in vocabulary.segments},
    }
    ordered = dict.fromkeys(name for _, name in sorted(positions))
    return [name for name in ordered if not named & subsumed.get(name, set())]


@lru_cache(maxsize=8)
def _segment_patterns(vocabulary: Vocabulary) -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple(
        (
            segment.segment,
            re.compile(
                rf"(?<![\w-])(?:{'|'.join(re.escape(t) for t in segment.terms)})(?![\w-])", re.IGNORECASE
            ),
        )
        for segment in vocabulary.segments
        if segment.terms
    )


def _earlier_plan(history: list[str], vocabulary: Vocabulary) -> list[str]:
    for earlier in reversed(history):
        plans = _plan_entities(earlier, vocabulary)
        if plans:
            return plans[:1]
    return []


def named_things(text: str, vocabulary: Vocabulary) -> list[str]:
    """The specific tools, competitors, standards, languages and payment methods ``text`` names."""
    named = GENERIC_NAMED_THINGS | vocabulary.named_things
    return [name for name in gazetteer_entities(text, vocabulary) if name in named]


def extract_entities(
    message: str,
    vocabulary: Vocabulary,
    *,
    history: list[str] | None = None,
    follow_up: bool = False,
    accepts_offer: bool = False,
) -> list[str]:
    """Entities mentioned in ``message``, canonical and lower-case, in order of first appearance.

    ``vocabulary`` is the company's (its plans, terms and unit). ``history`` (earlier messages, oldest
    first) resolves a message that points back at a plan ("that one") without naming it. With
    ``follow_up`` (an elliptical "and for 300?") the plan under discussion carries over too, unless the
    follow-up names a subject of its own ("what about Portuguese?" is about the language, not the
    plan). With ``accepts_offer`` (a short yes to the agent's question) a bare "it" or "that" is the
    offer, not a plan.
    """
    gazetteer = gazetteer_entities(message, vocabulary)
    entities: list[str] = _plan_entities(message, vocabulary)
    anaphora = (NAMED_ANAPHORA_RE if accepts_offer else ANAPHORA_RE).search(message)
    if not entities and history and (anaphora or (follow_up and not gazetteer)):
        entities.extend(_earlier_plan(history, vocabulary))
    for value in gazetteer + _quantity_entities(message, vocabulary) + _day_entities(message):
        if value not in entities:
            entities.append(value)
    return entities
