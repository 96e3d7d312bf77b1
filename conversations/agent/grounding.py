"""Deterministic check that a draft's factual claims are backed by the evidence it was given.

A "claim" is a span a prospect would act on: a price, a percentage, a count of days, hours, seats
and the like, a clock time or a URL. A claim is backed when the same value (with the same unit)
appears in a retrieved chunk or in the prospect's CRM record.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MONEY_RE = re.compile(r"[$€£]\s?\d[\d,]*(?:\.\d+)?")
PERCENT_RE = re.compile(r"\b\d+(?:\.\d+)?\s?%")
URL_RE = re.compile(r"\b(?:https?://)?(?:[a-z0-9-]+\.)+(?:com|org|net|io|dev)(?:/[\w\-./]*)?", re.IGNORECASE)
CLOCK_RE = re.compile(r"\b\d{1,2}:\d{2}\b")
QUANTITY_RE = re.compile(
    r"\b(\d[\d,]*)[\s-]+(?:business\s+)?"
    r"(minute|hour|day|week|month|year|seat|user|license|licence|employee)s?\b",
    re.IGNORECASE,
)


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", text).lower()


def extract_claims(text: str) -> list[str]:
    """The checkable claims in ``text``, in order of appearance, without duplicates."""
    spans: list[tuple[int, str]] = []
    for pattern in (MONEY_RE, PERCENT_RE, URL_RE, CLOCK_RE, QUANTITY_RE):
        spans.extend((match.start(), match.group(0).rstrip(".,/")) for match in pattern.finditer(text))
    return list(dict.fromkeys(span for _, span in sorted(spans)))


def _quantities(text: str) -> set[tuple[str, str]]:
    return {
        (number.replace(",", ""), unit.lower().replace("licence", "license"))
        for number, unit in QUANTITY_RE.findall(text)
    }


def is_backed(claim: str, evidence: str) -> bool:
    """Whether ``claim`` (one of :func:`extract_claims`) appears in ``evidence`` with the same value."""
    quantity = _quantities(claim)
    if quantity:
        return quantity <= _quantities(evidence)
    return _compact(claim).removeprefix("https://").removeprefix("http://") in _compact(evidence)


def find_unsupported_claims(draft: str, evidence: Iterable[str]) -> list[str]:
    """Claims in ``draft`` that no piece of ``evidence`` backs."""
    corpus = "\n".join(evidence)
    return [claim for claim in extract_claims(draft) if not is_backed(claim, corpus)]
