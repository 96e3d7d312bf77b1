"""Requests the agent must refuse and a person must see: instructions addressed to the agent, other
customers' data, and promises outside published policy (discounts, free periods, legal commitments).

Deterministic patterns, shared by both brains; the policy flags the turn with the reason and the
local brain writes the refusal (the model brain is told to). Patterns cover the languages we answer in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class RiskKind(StrEnum):
    INSTRUCTIONS_TO_AGENT = "instructions_to_agent"
    OTHER_CUSTOMERS_DATA = "other_customers_data"
    OUT_OF_POLICY_PROMISE = "out_of_policy_promise"


RISK_REASONS = {
    RiskKind.INSTRUCTIONS_TO_AGENT: "the message gives the agent instructions",
    RiskKind.OTHER_CUSTOMERS_DATA: "asks for other customers' data",
    RiskKind.OUT_OF_POLICY_PROMISE: "asks for a commitment outside published policy",
}

INSTRUCTIONS_RE = re.compile(
    r"\b((ignore|disregard|forget|override|bypass)\b[\w\s,']{0,40}\b(instructions?|rules?|prompts?|"
    r"guidelines|polic(y|ies)|restrictions)|system (note|prompt|message|override|instruction)|"
    r"(note|message|instructions?) (to|for) (the )?(assistant|ai|bot|agent|model)|you are now|"
    r"pretend (to be|you are)|developer mode|new instructions|"
    r"ignora\w* (tus|las|sus) (instrucciones|reglas)|ignore[sz]? (vos|les) (instructions|règles)|"
    r"ignorier\w* (deine|ihre|alle) (anweisungen|regeln))",
    re.IGNORECASE,
)
OTHER_CUSTOMERS_RE = re.compile(
    r"\b((other|another|existing|your) (customers?|clients?)(['\u2019]s?)? (data|details|emails?|contacts?|"
    r"names|list|pricing|prices|contracts?|information|numbers|usage)|(list|names) of (your )?"
    r"(customers|clients)|customer list|client list|what (does|do|did) (\w+ ){1,3}pay (you|for)|"
    r"datos de otros clientes|dados de outros clientes|données d'autres clients|daten anderer kunden)",
    re.IGNORECASE,
)
COMMITMENT_RE = re.compile(
    r"\b(confirm|guarantee\w*|promise|commit (to|that)|put (it |that |this )?in writing|agree to|approve|"
    r"honou?r|lock in|confirm[ae]|garantiz\w*|garant\w*|prometa|bestätig\w*|zusicher\w*)\b",
    re.IGNORECASE,
)
CONCESSION_RE = re.compile(
    r"(\b\d{2,3}\s?% (off|discount|de descuento|de desconto|de remise|rabatt)|\bfor life\b|\blifetime\b|"
    r"\bfree (for|of charge for) \d+|\b\d+ (months?|years?) free\b|\bpre-?approved\b|\bpays? us\b|"
    r"\bpenalt(y|ies)\b|\bcompensat\w+|\b100\s?% uptime\b|\bwaive\w*\b|\bunlimited refunds?\b|"
    r"\bpara siempre\b|\bde por vida\b|\bà vie\b|\blebenslang\b)",
    re.IGNORECASE,
)
# A concession this explicit needs no "confirm": it is already a demand.
SELF_EVIDENT_CONCESSION_RE = re.compile(r"\bpre-?approved\b|\bfor life\b|\bpays? us \$", re.IGNORECASE)


@dataclass(frozen=True)
class Risk:
    kind: RiskKind
    evidence: str

    @property
    def reason(self) -> str:
        return f"{RISK_REASONS[self.kind]} ({self.evidence!r})"


def detect_risks(message: str) -> list[Risk]:
    """The risky requests in a prospect's message, one per kind at most."""
    risks: list[Risk] = []
    match = INSTRUCTIONS_RE.search(message)
    if match:
        risks.append(Risk(RiskKind.INSTRUCTIONS_TO_AGENT, match.group(0)))
    match = OTHER_CUSTOMERS_RE.search(message)
    if match:
        risks.append(Risk(RiskKind.OTHER_CUSTOMERS_DATA, match.group(0)))
    concession = CONCESSION_RE.search(message)
    if concession and (COMMITMENT_RE.search(message) or SELF_EVIDENT_CONCESSION_RE.search(message)):
        risks.append(Risk(RiskKind.OUT_OF_POLICY_PROMISE, concession.group(0)))
    return risks
