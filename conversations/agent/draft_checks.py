"""What makes a draft unsendable as it stands, beyond missing facts: a sentence said twice, two
sentences that contradict each other about a plan's price or where a feature is available, or
Markdown a prospect's mail client would show as asterisks.

These read the draft's structure (sentences, plan-like names, amounts), not its meaning, so they find
the contradictions a collage of retrieved sentences produces ("It is available on Growth and Scale."
next to "It is available on the Scale plan only.") without a language model.
"""

from __future__ import annotations

import re
from collections import defaultdict

from conversations.agent.drafting import split_sentences

_WORDS_RE = re.compile(r"[^\W_]+", re.UNICODE)
# "The Growth plan costs $39 per agent per month": a plan's list price.
_PLAN_PRICE_RE = re.compile(
    r"\b[Tt]he (?P<plan>[A-Z][\w-]*(?: [A-Z][\w-]*)?) plan costs "
    r"(?P<amount>[$€£]\s?[\d,.]+|[\d,.]+ ?[A-Z]{3})"
)
# "<subject> is available on/from/in <plans>": where a feature or integration is offered.
_AVAILABLE_RE = re.compile(
    r"^(?P<subject>.+?) (?:is|are) (?:only )?(?:available|included) (?:on|from|in|with) (?P<where>.+?)\.?$",
    re.IGNORECASE,
)
_CAPITALISED_RE = re.compile(r"\b[A-Z][a-zA-Z-]+\b")
_NOT_A_PLAN = {"The", "Plan", "Plans", "Only", "And", "Or", "All", "Every"}
_MARKDOWN_RE = re.compile(r"\*\*|__|^#{1,6} |^\s*[-*] |`|\[[^\]]+\]\([^)]+\)", re.MULTILINE)


def _normalised(sentence: str) -> str:
    return " ".join(_WORDS_RE.findall(sentence.lower()))


def duplicate_sentences(draft: str) -> list[str]:
    """Sentences the draft says more than once (compared without case or punctuation)."""
    seen: dict[str, int] = defaultdict(int)
    duplicates = []
    for sentence in split_sentences(draft):
        key = _normalised(sentence)
        seen[key] += 1
        if seen[key] == 2:
            duplicates.append(sentence)
    return duplicates


def _subject_key(subject: str) -> str:
    words = [
        word for word in _WORDS_RE.findall(subject.lower()) if word not in {"the", "a", "an", "it", "this"}
    ]
    return " ".join(words)


def contradictions(draft: str) -> list[str]:
    """Pairs of sentences (joined by " / ") that give one plan two prices, or one subject two
    different sets of plans it is available on."""
    found: list[str] = []
    prices: dict[str, tuple[str, str]] = {}
    availability: dict[str, tuple[frozenset[str], str]] = {}
    for sentence in split_sentences(draft):
        for match in _PLAN_PRICE_RE.finditer(sentence):
            plan, amount = match.group("plan"), match.group("amount").rstrip(".,")
            if plan in prices and prices[plan][0] != amount:
                found.append(f"{prices[plan][1]} / {sentence}")
            prices.setdefault(plan, (amount, sentence))
        offered = _AVAILABLE_RE.match(sentence)
        if not offered:
            continue
        subject = _subject_key(offered.group("subject"))
        plans = frozenset(
            name for name in _CAPITALISED_RE.findall(offered.group("where")) if name not in _NOT_A_PLAN
        )
        if not subject or not plans:
            continue
        if subject in availability and availability[subject][0] != plans:
            found.append(f"{availability[subject][1]} / {sentence}")
        availability.setdefault(subject, (plans, sentence))
    return found


def has_markdown(draft: str) -> bool:
    """Whether the draft carries Markdown markup (bold, headings, list markers, links, code)."""
    return bool(_MARKDOWN_RE.search(draft))
