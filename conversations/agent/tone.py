"""How a message is said: anger, a demand for action, a threat to leave, a service failure.

The reply's opening depends on it (an angry prospect gets an apology, never "Great to hear"), and a
complaint that demands action or threatens to leave is treated as a complaint whatever topic it
mentions. Markers cover the languages we answer in; VADER's score adds the English nuance.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from conversations.agent.sentiment import vader_compound

ANGRY_RE = re.compile(
    r"\b(frustrat\w*|annoy\w*|furious|angry|outrage\w*|unacceptable|ridiculous|terrible|awful|horrible|"
    r"worst|disappoint\w*|fed up|sick of|waste of (my |our )?time|bait[- ]and[- ]switch|very bad|"
    r"inaceptable|decepcionad\w*|frustrad\w*|molest\w*|inaceitável|péssim\w*|absurd\w*|inadmissible|"
    r"déçu\w*|inakzeptabel|enttäuscht|ärgerlich|unverschämt)\b",
    re.IGNORECASE,
)
DEMAND_RE = re.compile(
    r"\b(get me (a|your) (manager|supervisor|boss)|(speak|talk) to (a|your) (manager|supervisor)|"
    r"escalate (this|it)|i (want|demand) (a )?(refund|answer|explanation)|fix (this|it) (now|today|asap)|"
    r"(quiero|exijo) hablar con|(quero|exijo) falar com|je veux parler à|ich will (mit )?(einem|ihrem) "
    r"(vorgesetzten|manager))",
    re.IGNORECASE,
)
LEAVE_RE = re.compile(
    r"\b((or|and) we('ll| will)? (cancel|leave|walk)|we('ll| will| are going to) (cancel|leave|walk away|"
    r"go elsewhere|switch)|(thinking|considering) (to|of|about) (stop|cancel|leav|switch|go)\w*|"
    r"stop the (evaluation|trial)|we('re| are) done|take our business elsewhere|"
    r"vamos a cancelar|vamos cancelar|on va (annuler|résilier)|nous allons (annuler|résilier)|"
    r"wir werden kündigen|wir kündigen)",
    re.IGNORECASE,
)
FAILURE_RE = re.compile(
    r"\b((nobody|no one|no-one) (has |have )?(answered|replied|responded|got back|called|mentioned|helped)|"
    r"(haven't|hasn't|have not|has not|didn't|did not|don't|doesn't|won't) (gone out|arrive\w*|work\w*|"
    r"load\w*|sync\w*|been answered|heard back)|still waiting|not working|stopped working|broken|"
    r"keeps? (failing|crashing|answering)|nadie (ha )?respond\w*|ninguém respond\w*|personne n'a répondu|"
    r"niemand hat geantwortet|funktioniert nicht|no funciona|não funciona|ne fonctionne pas)",
    re.IGNORECASE,
)
SHOUTING_RE = re.compile(r"\b[A-Z]{4,}\b")
# Upper-case words that are names, not shouting.
ACRONYMS = {
    "HIPAA",
    "GDPR",
    "SAML",
    "HTTP",
    "HTTPS",
    "JSON",
    "CSV",
    "USD",
    "EUR",
    "GBP",
    "BRL",
    "ASAP",
    "AWS",
}
STRONG_NEGATIVE = -0.4


EMPHATIC_RE = re.compile(r"[?!]{2,}")


@dataclass(frozen=True)
class Tone:
    """What the wording says about the prospect's mood and what they want done."""

    compound: float
    angry: bool
    demands_action: bool
    threatens_to_leave: bool
    service_failure: bool
    emphatic: bool
    markers: tuple[str, ...]

    @property
    def negative(self) -> bool:
        return (
            self.angry
            or self.demands_action
            or self.threatens_to_leave
            or self.compound <= STRONG_NEGATIVE
            or (self.service_failure and self.emphatic)
        )

    @property
    def is_complaint(self) -> bool:
        """Demanding action, threatening to leave, or upset about a failure of ours."""
        return self.demands_action or self.threatens_to_leave or (self.service_failure and self.negative)


def read_tone(message: str, *, language: str = "en") -> Tone:
    """Read the tone of a message; VADER's lexicon is English, so other languages use markers only."""
    markers: list[str] = []
    flags = {}
    for name, pattern in (
        ("angry", ANGRY_RE),
        ("demands_action", DEMAND_RE),
        ("threatens_to_leave", LEAVE_RE),
        ("service_failure", FAILURE_RE),
    ):
        match = pattern.search(message)
        flags[name] = bool(match)
        if match:
            markers.append(match.group(0))
    shouted = [word for word in SHOUTING_RE.findall(message) if word not in ACRONYMS]
    # One shouted word in an otherwise calm message is emphasis; with "??"/"!!" it is anger.
    if shouted and re.search(r"[?!]{2,}|\b(never|nobody|third|again)\b", message, re.IGNORECASE):
        flags["angry"] = True
        markers.append(shouted[0])
    compound = vader_compound(message) if language == "en" else 0.0
    return Tone(
        compound=compound,
        emphatic=bool(EMPHATIC_RE.search(message)),
        markers=tuple(markers),
        **flags,
    )
