"""Entity extraction: plan names, tools and integrations, languages, quantities, dates and topics.

A gazetteer of the domain's vocabulary (canonical lower-case names) plus patterns for quantities and
days. Follow-ups such as "how much would that one be?" or "and for 300 seats?" borrow the plan named
earlier in the conversation.
"""

from __future__ import annotations

import re

PLAN_RE = re.compile(
    r"\b(?:(Basic|Standard|Premium|Enterprise)\b(?:\s+(plan|package|tier|edition|subscription))?"
    r"|(basic|standard|premium|enterprise)\s+(plan|package|tier|edition|subscription))",
)
PLAN_PAIR_RE = re.compile(
    r"\b(basic|standard|premium|enterprise)\s*(?:and|or|vs\.?|versus|&|/)\s*(basic|standard|premium|enterprise)"
    r"(?:\s+(plan|package|tier|edition)s?)?\b",
    re.IGNORECASE,
)
ANAPHORA_RE = re.compile(r"\b(that one|that plan|this plan|it|that|this one)\b", re.IGNORECASE)
# In "yes, let's do it" the pronoun is the offer being accepted; only a pointed "that one" names a plan.
NAMED_ANAPHORA_RE = re.compile(r"\b(that|this|the same) (one|plan|package|tier)\b", re.IGNORECASE)
QUANTITY_RE = re.compile(
    r"\b(\d{1,3}(?:,\d{3})+|\d+)\s*(seats?|licen[cs]es?|users?|people|employees|members|staff|agents|analysts|reps)\b",
    re.IGNORECASE,
)
DAY_RE = re.compile(
    r"\b((?:next|this|on)\s+)?(monday|tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow|"
    r"week|month)\b",
    re.IGNORECASE,
)
SEAT_WORDS = {
    "people",
    "users",
    "user",
    "employees",
    "members",
    "staff",
    "agents",
    "analysts",
    "reps",
    "seat",
    "seats",
}

# canonical name -> patterns that mention it
GAZETTEER: dict[str, str] = {
    # integrations, data sources and tools
    "salesforce": r"salesforce",
    "hubspot": r"hub ?spot",
    "slack": r"slack",
    "microsoft teams": r"(microsoft|ms) teams",
    "zapier": r"zapier",
    "google sheets": r"google sheets?",
    "excel": r"excel",
    "snowflake": r"snowflake",
    "bigquery": r"big ?query",
    "postgresql": r"postgres(ql)?",
    "mysql": r"my ?sql",
    "sql server": r"sql server",
    "shopify": r"shopify",
    "sap": r"sap",
    "rest api": r"rest api",
    "api": r"api(s)?(?! reference)",
    "api reference": r"api reference|api docs",
    "webhooks": r"webhooks?",
    # competitors
    "tableau": r"tableau",
    "looker": r"looker",
    "power bi": r"power ?bi",
    "qlik": r"qlik",
    "domo": r"domo",
    "metabase": r"metabase",
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
    "nonprofit discount": r"non-?profits?",
    "education discount": r"education(al)? (discount|pricing)|schools?|universit(y|ies)",
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
    "predictive analytics": r"predictive analytics",
    "dashboard": r"dashboards?",
    "report export": r"export(ing)? (a |the )?reports?|report exports?",
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
    "data sources": r"data sources?",
}
# Gazetteer entries that name a specific thing (a tool, a standard, a language, a way to pay): if the
# knowledge base never mentions one, a question about it cannot be answered from the knowledge base.
NAMED_THINGS = frozenset(
    {
        *("salesforce", "hubspot", "slack", "microsoft teams", "zapier", "google sheets", "excel"),
        *("snowflake", "bigquery", "postgresql", "mysql", "sql server", "shopify", "sap", "webhooks"),
        *("tableau", "looker", "power bi", "qlik", "domo", "metabase"),
        *("english", "spanish", "portuguese", "french", "german", "italian", "japanese", "chinese", "dutch"),
        *("soc 2", "iso 27001", "gdpr", "hipaa", "baa", "pci dss", "fedramp", "ccpa", "hitrust", "saml"),
        *("on-premise", "american express", "visa", "mastercard", "paypal", "bank transfer"),
        *("purchase order", "usd", "eur", "gbp", "brl", "okta", "azure ad", "google workspace"),
    }
)
_COMPILED = [(name, re.compile(rf"\b(?:{pattern})", re.IGNORECASE)) for name, pattern in GAZETTEER.items()]
# When a specific entity is present, its generic parent adds nothing.
SUBSUMED_BY = {
    "discount": {"volume discount", "nonprofit discount", "education discount"},
    "trial": {"free trial", "trial extension"},
    "tutorials": {"video tutorials"},
    "api": {"api reference", "rest api"},
    "support": {"support team"},
    "data": {"data residency", "data export", "data migration", "data sources"},
}


def _plan_entities(text: str) -> list[str]:
    found: list[str] = []
    # "basic and standard package", "Standard vs Premium": both names share the trailing noun.
    for first, second, noun in PLAN_PAIR_RE.findall(text):
        noun = "package" if (noun or "").lower() == "package" else "plan"
        for name in (first.lower(), second.lower()):
            if f"{name} {noun}" not in found:
                found.append(f"{name} {noun}")
    for match in PLAN_RE.finditer(text):
        name = (match.group(1) or match.group(3)).lower()
        noun = (match.group(2) or match.group(4) or "plan").lower()
        if noun in {"tier", "edition", "subscription"}:
            noun = "plan"
        entity = f"{name} {noun}"
        if entity not in found:
            found.append(entity)
    return found


def _quantity_entities(text: str) -> list[str]:
    found = []
    for number, unit in QUANTITY_RE.findall(text):
        unit = unit.lower()
        noun = "seats" if unit in SEAT_WORDS else ("licenses" if unit.startswith("licen") else unit)
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


def gazetteer_entities(text: str) -> list[str]:
    """The domain vocabulary ``text`` mentions (tools, standards, topics), canonical names in order."""
    return _gazetteer_entities(text)


def _gazetteer_entities(text: str) -> list[str]:
    positions: list[tuple[int, str]] = []
    for name, pattern in _COMPILED:
        match = pattern.search(text)
        if match:
            positions.append((match.start(), name))
    named = {name for _, name in positions}
    return [name for _, name in sorted(positions) if not named & SUBSUMED_BY.get(name, set())]


def _earlier_plan(history: list[str]) -> list[str]:
    for earlier in reversed(history):
        plans = _plan_entities(earlier)
        if plans:
            return plans[:1]
    return []


def named_things(text: str) -> list[str]:
    """The specific tools, standards, languages and payment methods ``text`` names."""
    return [name for name in _gazetteer_entities(text) if name in NAMED_THINGS]


def extract_entities(
    message: str, *, history: list[str] | None = None, follow_up: bool = False, accepts_offer: bool = False
) -> list[str]:
    """Entities mentioned in ``message``, canonical and lower-case, in order of first appearance.

    ``history`` (earlier messages, oldest first) resolves a message that points back at a plan
    ("that one") without naming it. With ``follow_up`` (an elliptical "and for 300 seats?") the plan
    under discussion carries over too, unless the follow-up names a subject of its own ("what about
    Portuguese?" is about the language, not the plan). With ``accepts_offer`` (a short yes to the
    agent's question) a bare "it" or "that" is the offer, not a plan.
    """
    gazetteer = _gazetteer_entities(message)
    entities: list[str] = _plan_entities(message)
    anaphora = (NAMED_ANAPHORA_RE if accepts_offer else ANAPHORA_RE).search(message)
    if not entities and history and (anaphora or (follow_up and not gazetteer)):
        entities.extend(_earlier_plan(history))
    for value in gazetteer + _quantity_entities(message) + _day_entities(message):
        if value not in entities:
            entities.append(value)
    return entities
