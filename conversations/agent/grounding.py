"""Deterministic check that a draft's factual claims are backed by the evidence it was given.

A "claim" is a span a prospect would act on: a price, a percentage, a count of days, hours, seats
and the like, a clock time or a URL. A claim is backed when the same value (with the same unit)
appears in a retrieved chunk or in the prospect's CRM record. :func:`enforce_grounding` applies the
check to every draft before it is returned.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from conversations.agent.types import NextStep, TurnResult
from pricing.money import MONEY_RE

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


SENTENCE_RE = re.compile(r"(?<=[.!?])\s+")


def evidence_texts(result: TurnResult) -> list[str]:
    """What a draft may rely on: the retrieved chunks, the prospect's CRM record, and figures a
    deterministic tool computed (a quote), whose input and output are in the tool log."""
    evidence = [item.text for item in result.knowledge] + list(result.tool_evidence)
    if result.prospect is not None:
        evidence.append(json.dumps(result.prospect.as_dict(), default=str))
    return evidence


def enforce_grounding(result: TurnResult) -> TurnResult:
    """Drop draft sentences whose claims the evidence does not back; flag the turn if any remain.

    Runs on every draft, whichever brain wrote it. A sentence is only dropped while others remain,
    so a draft is never emptied; what cannot be dropped is listed on ``FLAG_FOR_HUMAN_REVIEW``.
    """
    evidence = evidence_texts(result)
    unbacked = find_unsupported_claims(result.draft, evidence)
    if not unbacked:
        return result
    result.unsupported_claims = unbacked
    sentences = [s for s in SENTENCE_RE.split(result.draft.strip()) if s]
    kept = [s for s in sentences if not find_unsupported_claims(s, evidence)]
    if kept and len(kept) < len(sentences):
        result.draft = " ".join(kept)
        result.reasoning.append(
            f"Grounding guard removed {len(sentences) - len(kept)} sentence(s) with claims no retrieved "
            f"chunk or CRM field backs: {', '.join(unbacked)}."
        )
    remaining = find_unsupported_claims(result.draft, evidence)
    if remaining:
        result.reasoning.append(f"Grounding guard: unbacked claims remain ({', '.join(remaining)}).")
        flag = next((s for s in result.next_steps if s.action == "FLAG_FOR_HUMAN_REVIEW"), None)
        if flag is None:
            flag = NextStep(
                "FLAG_FOR_HUMAN_REVIEW", "the draft makes claims the knowledge base does not back"
            )
            result.next_steps.append(flag)
        flag.extra["unsupported_claims"] = remaining
    return result
