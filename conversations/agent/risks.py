"""Requests the agent must refuse and a person must see: instructions addressed to the agent, claims of
authority to bind the company, other customers' data, and promises outside published policy.

Two readings, either of which finds a risk:

* the trained reader's risk head (conversations/reader/), which learns from the risk examples staff
  edit in the admin (``TrainingExample`` of kind ``risk``), so a new phrasing of a known request is read
  like the ones it learnt from, and claims of authority are read at all. The message is read whole and
  by its parts (its questions, its leading sentence): one risky sentence in a long e-mail still counts.
* explicit markers: the fixed wordings of prompt injection ("ignore your instructions", "system
  note"), of asking for another customer's data, and a concession (a percentage off, "for life", a
  waiver) with a demand to commit. They stay while the learned head's cross-validated recall is below
  theirs on the wordings they cover (docs/reader.md, "Requests to refuse"), and go when it is not.

Shared by both brains; the policy flags the turn with the reason and the local brain writes the
refusal (the model brain is told to).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conversations.reader.artefact import Reader


class RiskKind(StrEnum):
    INSTRUCTIONS_TO_AGENT = "instructions_to_agent"
    AUTHORITY_CLAIM = "authority_claim"
    OTHER_CUSTOMERS_DATA = "other_customers_data"
    OUT_OF_POLICY_PROMISE = "out_of_policy_promise"


# The risk head's label for a message that is none of the above (its look-alikes are trained as this).
NO_RISK = "none"

RISK_REASONS = {
    RiskKind.INSTRUCTIONS_TO_AGENT: "the message gives the agent instructions",
    RiskKind.AUTHORITY_CLAIM: "claims authority to bind us to terms",
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
MARKERS = {
    RiskKind.INSTRUCTIONS_TO_AGENT: INSTRUCTIONS_RE,
    RiskKind.OTHER_CUSTOMERS_DATA: OTHER_CUSTOMERS_RE,
}

# The risk head's probability from which its reading is acted on (the turn flagged, the draft refusing).
# Its learned thresholds (0.37-0.51) read 0.9% of ordinary examples as a risk under cross-validation;
# from 0.8 that share is 0.1% (6 of 6,081) while about 40% of each kind is still caught, and the markers
# cover their explicit wordings. A reading between its threshold and this bar is noted in the trace.
ACT_ON_PROBABILITY = 0.8
# How much of the sentence that carried a risk the reason quotes.
EVIDENCE_CHARACTERS = 120


@dataclass(frozen=True)
class Risk:
    kind: RiskKind
    evidence: str  # the text that read as the risk: the message, or one of its questions
    probability: float  # the risk head's; 1.0 for an explicit marker

    @property
    def reason(self) -> str:
        read = f", P={self.probability:.2f}" if self.probability < 1.0 else ""
        return f"{RISK_REASONS[self.kind]} ({self.evidence!r}{read})"


def _quoted(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EVIDENCE_CHARACTERS else text[: EVIDENCE_CHARACTERS - 1].rstrip() + "…"


def marked_risks(message: str) -> list[Risk]:
    """The risks a message states in the explicit markers' words."""
    risks = [
        Risk(kind, match.group(0), 1.0)
        for kind, pattern in MARKERS.items()
        if (match := pattern.search(message)) is not None
    ]
    concession = CONCESSION_RE.search(message)
    if concession and (COMMITMENT_RE.search(message) or SELF_EVIDENT_CONCESSION_RE.search(message)):
        risks.append(Risk(RiskKind.OUT_OF_POLICY_PROMISE, concession.group(0), 1.0))
    return risks


def detect_risks(message: str, learned: Sequence[Risk] = ()) -> list[Risk]:
    """The risky requests in ``message`` to act on, one per kind at most: its explicit markers, and the
    risk head's readings (``learned``, from ``read_risks``) from ``ACT_ON_PROBABILITY``."""
    found: dict[RiskKind, Risk] = {risk.kind: risk for risk in marked_risks(message)}
    for risk in learned:
        if risk.kind not in found and risk.probability >= ACT_ON_PROBABILITY:
            found[risk.kind] = risk  # a marker's words are the better evidence
    return [found[kind] for kind in RiskKind if kind in found]


def read_risks(reader: Reader | None, readings: Sequence[tuple[str, Sequence[float]]]) -> list[Risk]:
    """Each kind of risk the reader's probability reached that kind's learned threshold for among
    ``readings`` (the message and its parts, each with its embedding): the most likely reading's
    probability, quoting the shortest text that reached the threshold. None without a reader with a
    risk head (the system check says to train one)."""
    if reader is None or not reader.risk_labels:
        return []
    learned: dict[RiskKind, list[tuple[str, float]]] = {}
    for text, vector in readings:
        if not text.strip():
            continue
        for label, probability in reader.read_risks(vector, text).items():
            if label != NO_RISK and probability >= reader.risk_thresholds.get(label, 1.0):
                learned.setdefault(RiskKind(label), []).append((text, probability))
    return [
        Risk(kind, _quoted(min((text for text, _ in reads), key=len)), round(max(p for _, p in reads), 4))
        for kind in RiskKind
        if (reads := learned.get(kind))
    ]
