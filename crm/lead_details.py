"""Who a new lead is, from what they wrote: an email address, and a name and company when stated.

Only explicit statements count ("my name is Ana Ruiz", "I'm Ana from Acme", "I work at Acme Corp");
a guess would put wrong data in the CRM, and the proposal is reviewed before it is applied anyway.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

EMAIL_RE = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")
_NAME = r"([A-Z][a-zA-Z'\-]+(?:\s+[A-Z][a-zA-Z'\-]+){0,2})"
NAME_RES = (
    re.compile(r"\b(?i:my name is)\s+" + _NAME),
    re.compile(r"\b(?i:I'm|I am|this is)\s+" + _NAME + r"(?=\s+(?:from|at|with|of)\b|[,.!?]|\s*$)"),
)
_COMPANY = r"([A-Z][\w&'\-]*(?:\s+(?:[A-Z][\w&'\-]*|&))*)"
COMPANY_RES = (
    re.compile(r"\b(?i:(?:I|we)\s+(?:work|am|are)\s+(?:at|for|with))\s+" + _COMPANY),
    re.compile(r"\b(?i:our company(?: name)? is)\s+" + _COMPANY),
    re.compile(
        r"\b(?i:I'm|I am|this is)\s+[A-Z][a-zA-Z'\-]+(?:\s+[A-Z][a-zA-Z'\-]+)?\s+(?:from|at|with)\s+"
        + _COMPANY
    ),
)
# Capitalised words that start a sentence, not a name or a company.
NOT_NAMES = {"Interested", "Looking", "Not", "Just", "Also", "The", "We", "Our", "Happy", "Here", "Sorry"}


@dataclass(frozen=True)
class LeadDetails:
    name: str = ""
    email: str = ""
    company: str = ""


def _first(patterns: tuple[re.Pattern[str], ...], texts: list[str]) -> str:
    for text in texts:
        for pattern in patterns:
            match = pattern.search(text)
            if match and match.group(1).split()[0] not in NOT_NAMES:
                return match.group(1).strip(" .,")
    return ""


def lead_details(texts: list[str]) -> LeadDetails:
    """The details stated in these messages (the newest first wins)."""
    emails = [match for text in texts for match in EMAIL_RE.findall(text)]
    return LeadDetails(
        name=_first(NAME_RES, texts)[:200],
        email=emails[0].lower() if emails else "",
        company=_first(COMPANY_RES, texts)[:200],
    )
