"""Reading a price question from a prospect's message: which plan, how many seats, billing and segment.

``read_quote_request`` turns "How much for 300 Pro seats per month?" into the arguments of
``quote_price``. A follow-up ("and for 40 seats?") fills what it leaves out from the conversation so
far: the current message wins over the context, and a recent context message over an older one. Plan
names come from the active price book. Only numbers attached to a seat noun ("300 users", "team of
45", "20-person team", "for 30 of us"), or a bare number answering "how many seats?", count as seats;
prices, percentages, durations, years and times never do. See ``quote_vocabulary.py`` for the words.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, TypeVar

from rapidfuzz.distance import OSA
from text_to_num import alpha2digit

from company.selectors import current_vocabulary
from company.vocabulary import spelling_pattern
from pricing import quote_vocabulary as vocab

Billing = Literal["annual", "monthly"]
T = TypeVar("T")

FLAGS = re.IGNORECASE
# The languages whose numbers written as words are read as digits (text2num's).
NUMBER_WORD_LANGUAGES = frozenset({"en", "es", "pt", "fr", "de", "it", "nl"})
# Counting by the dozen, which text2num does not read: "half a dozen" first, then "a dozen"; the
# article is part of the number ("a dozen of us" -> "12 of us").
HALF_DOZEN_RE = re.compile(
    r"\b(?:half a dozen|media docena|meia dúzia|une demi-douzaine|ein halbes dutzend)\b"
    r"(?:\s+de\b|\s*d')?",
    re.IGNORECASE,
)
DOZEN_RE = re.compile(
    r"\b(?:an? |una |uma |une |ein |een |un )?(?:dozen|docena|dúzia|douzaine|dutzend|dozzina|dozijn)\b"
    # "una docena de usuarios", "une douzaine d'agents": the count then reads as "12 usuarios".
    r"(?:\s+de\b|\s+di\b|\s*d')?",
    re.IGNORECASE,
)
DOZENS = ((HALF_DOZEN_RE, "6"), (DOZEN_RE, "12"))
# Plan names shorter than this are not typo-corrected: one keystroke from "scale" is "scaled".
MIN_TYPO_NAME_LENGTH = 6
# 300 | 1,200 | 1.200 | 1 200 | 1.5k
NUMBER = r"\d{1,3}(?:[,. \u00a0\u202f]\d{3})+(?!\d)|\d+(?:[.,]\d+)?\s?k\b|\d+"
NUMBER_START = r"(?<![\w$€£.,/:#-])"
# A number right after "-" ("40-50 seats") is a range's upper bound; "$" and "." make it a price.
NUMBER_START_IN_RANGE = r"(?<![\w$€£.,/:#])"
APPROXIMATELY = (
    r"(?:about|around|roughly|approximately|approx\.?|~|unos|unas|cerca de|uns|umas|environ|etwa|rund|ca\.)"
)


@dataclass(frozen=True)
class QuoteRequest:
    """What a message asks to be quoted; ``None`` slots are not known even from the conversation.

    ``plans`` lists every plan the message itself names, in order (a comparison can quote each);
    ``from_context`` names the slots (plan, seats, billing, segment) filled from earlier messages.
    """

    plan: str | None = None
    seats: int | None = None
    billing: Billing = "annual"
    segment: str | None = None
    wants_annual_total: bool = False
    # Whether the message itself says how they want to pay (else ``billing`` is the conversation's or
    # annual by default, and a reply can show monthly billing beside it: an agent's "billed annually"
    # earlier is no choice of the prospect's).
    billing_stated: bool = False
    is_price_question: bool = False
    plans: tuple[str, ...] = ()
    from_context: tuple[str, ...] = ()

    @property
    def is_complete(self) -> bool:
        """Plan and seats are known, so ``quote_price`` can be called."""
        return self.plan is not None and self.seats is not None


@dataclass(frozen=True)
class _Patterns:
    plan: re.Pattern[str] | None
    plan_for_number: re.Pattern[str] | None  # "Pro for 40?": a price question without price words
    names: dict[str, str]  # casefolded name -> the price book's spelling
    strong_seats: tuple[re.Pattern[str], ...]
    weak_seats: tuple[re.Pattern[str], ...]


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, FLAGS)


PRICE_RE = _compile(vocab.PRICE_CUES)
WEAK_PRICE_RE = _compile(vocab.WEAK_PRICE_CUES)
FOLLOW_UP_RE = _compile(vocab.FOLLOW_UP)
SEAT_QUESTION_RE = _compile(vocab.SEAT_QUESTION)
THRESHOLD_BEFORE_RE = _compile(vocab.THRESHOLD_BEFORE)
LIMIT_BEFORE_RE = _compile(vocab.LIMIT_BEFORE)
DIGIT_JUST_BEFORE_RE = re.compile(r"\d\s*$")
NOT_PLAN_AFTER_RE = _compile(vocab.NOT_PLAN_AFTER)
CURRENT_PLAN_BEFORE_RE = _compile(vocab.CURRENT_PLAN_BEFORE)
FROM_PLAN_BEFORE_RE = _compile(vocab.FROM_PLAN_BEFORE)
TO_PLAN_AFTER_RE = _compile(vocab.TO_PLAN_AFTER)
PLAN_NOUN_AFTER_RE = _compile(r"[\s-]+(?:plan|package|tier|edition|subscription|plano|forfait|paket)\b")
NEGATION_BEFORE_RE = _compile(vocab.NEGATION_BEFORE)
SELF_IDENTIFIED_BEFORE_RE = _compile(vocab.SELF_IDENTIFIED_BEFORE)
OFFER_AFTER_RE = _compile(vocab.OFFER_AFTER)
MONTHLY_RE = _compile(rf"\b(?:{vocab.MONTHLY_BILLING})")
ANNUAL_RE = _compile(rf"\b(?:{vocab.ANNUAL_BILLING})\b")
NOT_BEFORE_RE = _compile(vocab.NOT_BEFORE)
ANNUAL_TOTAL_RE = _compile(vocab.ANNUAL_TOTAL)
ANNUAL_ADVERB_RE = _compile(r"annually|yearly|anualmente|annuellement|j[aä]hrlich")
NOT_A_PERIOD_AFTER_RE = _compile(r"\s*(?:ago|from now|later|or (?:so|two)|\d)")
IN_BEFORE_RE = _compile(r"\b(?:in|within|dentro de|en|em|dans|innerhalb)\s+$")
COMMITMENT_BEFORE_RE = _compile(vocab.COMMITMENT_BEFORE)
BILLING_VERB_NEAR_RE = _compile(vocab.BILLING_VERB_NEAR)
BILLING_VERB_AFTER_RE = _compile(vocab.BILLING_VERB_AFTER)
# "Pro for 40?", "what if we went with 35", "what about 60?": a number after a preposition, alone.
FOR_NUMBER = (
    rf"\b(?:for|with|about|para|por|con|com|pour|avec|f[uü]r|mit|bei)\s+(?:{APPROXIMATELY}\s*)?{NUMBER_START}(?P<num>{NUMBER})"
    r"(?=\s*(?:[?.!,;)]|$|(?:on|with|in|at|under|and|or|please|por favor|s'il|bitte)\b))"
)
FOR_NUMBER_RE = _compile(FOR_NUMBER)
BARE_NUMBER_RE = _compile(rf"{NUMBER_START}(?P<num>{NUMBER})\+?(?!\d|{vocab.NOT_SEATS_AFTER})")


@lru_cache(maxsize=16)
def _segment_patterns(
    segments: tuple[tuple[str, tuple[str, ...]], ...],
) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """Each segment's terms as one pattern: whole words, any case, a hyphen or space between words."""
    compiled = ((segment, spelling_pattern(terms)) for segment, terms in segments)
    return tuple((segment, pattern) for segment, pattern in compiled if pattern is not None)


@lru_cache(maxsize=16)
def _patterns(spellings: tuple[tuple[str, str], ...]) -> _Patterns:
    names = dict(spellings)
    plan_names = tuple(names)
    plan_alternatives = "|".join(re.escape(name) for name in sorted(plan_names, key=len, reverse=True))
    plan = _compile(rf"(?<![\w-])(?:{plan_alternatives})(?!\w)") if plan_names else None
    plan_for_number = (
        _compile(
            rf"(?<![\w-])(?:{plan_alternatives})(?:\s+(?:plan|tier|package|plano|forfait|paket))?,?\s+{FOR_NUMBER}"
        )
        if plan_names
        else None
    )
    modifiers = vocab.SEAT_MODIFIERS + (f"|{plan_alternatives}" if plan_names else "")

    def unit_count(units: str) -> re.Pattern[str]:
        return _compile(
            rf"{NUMBER_START_IN_RANGE}(?P<num>{NUMBER})\+?(?:[\s-]+(?:{modifiers})){{0,2}}[\s-]+(?:{units})\b"
        )

    strong = (
        unit_count(vocab.STRONG_SEAT_UNITS),
        _compile(rf"{NUMBER_START}(?P<num>{NUMBER}){vocab.NEED_ACCESS}"),
    )
    weak = (
        unit_count(vocab.WEAK_SEAT_UNITS),
        _compile(rf"\b{vocab.TEAM_OF}(?:{APPROXIMATELY}\s*)?(?P<num>{NUMBER})(?![\d.,]?\d)"),
        _compile(rf"{NUMBER_START}(?P<num>{NUMBER}){vocab.OF_US}"),
        _compile(
            rf"{vocab.WE_ARE}(?P<num>{NUMBER})(?=\s*(?:[.,;!?)]|$|in total|en total|au total|insgesamt))"
        ),
    )
    return _Patterns(
        plan=plan, plan_for_number=plan_for_number, names=names, strong_seats=strong, weak_seats=weak
    )


def _corrected_plan_typos(text: str, spellings: Sequence[str]) -> str:
    """``text`` with words one keystroke from a plan's name written as the name ("standrd",
    "premuim" -> "standard", "premium"). Only names of ``MIN_TYPO_NAME_LENGTH`` letters or more are
    corrected, only words starting like them, and never the name's plural ("standards")."""
    names = [name for name in spellings if len(name) >= MIN_TYPO_NAME_LENGTH and name.isalpha()]
    if not names:
        return text

    def corrected(match: re.Match[str]) -> str:
        word = match.group(0)
        lowered = word.casefold()
        for name in names:
            if (
                lowered != name
                and lowered not in (f"{name}s", f"{name}es")
                and lowered[:2] == name[:2]
                and OSA.distance(lowered, name, score_cutoff=1) <= 1
            ):
                return name.capitalize() if word[:1].isupper() else name
        return word

    return re.sub(r"[^\W\d_]{5,}", corrected, text)


def _normalise(text: str, language: str = "en", spellings: Sequence[str] = ()) -> str:
    """The text as the patterns read it: one Unicode form and apostrophe, numbers written as words
    as digits ("twenty agents" -> "20 agents", from three on; "a dozen" -> "12"), plan names' typos
    corrected."""
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u00ad", "")
    for pattern, number in DOZENS:
        text = pattern.sub(number, text)
    if language in NUMBER_WORD_LANGUAGES:
        text = alpha2digit(text, language)
    return _corrected_plan_typos(text, spellings)


def _to_int(number: str) -> int | None:
    number = re.sub(r"[\s\u00a0\u202f]", "", number)
    if number.lower().endswith("k"):
        value = float(number[:-1].strip().replace(",", "."))
        return round(value * 1000)
    if re.fullmatch(r"\d+[.,]\d{1,2}", number):
        return None  # a decimal ("2.5"), never a seat count
    return int(re.sub(r"[,.]", "", number))


def _is_threshold(before: str, *, strict: bool) -> bool:
    """``before`` ends in threshold wording ("from", "up to"; with ``strict`` also "over", "more than")."""
    for pattern in (THRESHOLD_BEFORE_RE, LIMIT_BEFORE_RE) if strict else (THRESHOLD_BEFORE_RE,):
        match = pattern.search(before)
        # "40 up to 50 users", "de 40 hasta 50" are ranges, not thresholds.
        if match and not DIGIT_JUST_BEFORE_RE.search(before[: match.start()]):
            return True
    return False


def _first_count(text: str, patterns: Sequence[re.Pattern[str]], *, strict: bool) -> int | None:
    found: list[tuple[int, int]] = []
    for pattern in patterns:
        for match in pattern.finditer(text):
            if _is_threshold(text[: match.start("num")], strict=strict):
                continue
            seats = _to_int(match.group("num"))
            if seats is not None:
                found.append((match.start(), seats))
    return min(found)[1] if found else None


def _seats(text: str, patterns: _Patterns, *, in_context: bool) -> int | None:
    """The seat count a message states: a count of what is bought wins over a count of people."""
    for group in (patterns.strong_seats, patterns.weak_seats):
        seats = _first_count(text, group, strict=in_context)
        if seats is not None:
            return seats
    return None


def _loose_count(text: str, pattern: re.Pattern[str]) -> int | None:
    for match in pattern.finditer(text):
        if _is_threshold(text[: match.start("num")], strict=False):
            continue
        seats = _to_int(match.group("num"))
        if seats is not None and not 1900 <= seats <= 2100:  # a year, not a team
            return seats
    return None


def _plans(text: str, patterns: _Patterns) -> list[str]:
    """The plans ``text`` names in order, the one the prospect asks about first: in "we're on Starter,
    what would Growth cost?" or "from Starter to Growth" that is Growth, not the plan they have.

    Plan names are often ordinary words: a name written as a name (capitalised) or followed by a plan
    noun is explicit, and when a message has an explicit mention its bare lower-case ones ("we need to
    scale our team") are words, not plans.
    """
    if patterns.plan is None:
        return []
    found: list[tuple[bool, int, str, bool]] = []
    for match in patterns.plan.finditer(text):
        lower = match.group(0)[0].islower()
        if lower and NOT_PLAN_AFTER_RE.match(text, match.end()):
            continue  # "standard reports", "enterprise-grade": the word, not the plan
        explicit = not lower or bool(PLAN_NOUN_AFTER_RE.match(text, match.end()))
        before = text[: match.start()]
        current = bool(CURRENT_PLAN_BEFORE_RE.search(before)) or bool(
            FROM_PLAN_BEFORE_RE.search(before) and TO_PLAN_AFTER_RE.match(text, match.end())
        )
        name = patterns.names[" ".join(match.group(0).split()).casefold()]
        if all(name != seen for _, _, seen, _ in found):
            found.append((current, match.start(), name, explicit))
    if any(explicit for *_, explicit in found):
        found = [mention for mention in found if mention[3]]
    # The plan they have only comes first when it is the only one named.
    return [name for _, _, name, _ in sorted(found)]


def _names_only_plans(text: str, patterns: _Patterns) -> bool:
    """The message is a bare follow-up on a plan: "what about Pro?", "and the Starter plan then?"."""
    rest = FOLLOW_UP_RE.sub(" ", text, count=1)
    rest = patterns.plan.sub(" ", rest) if patterns.plan else rest
    words = [word for word in re.findall(r"\w+", rest.lower()) if word not in vocab.FOLLOW_UP_FILLERS]
    return len(words) <= 2


def _segment(
    text: str, segments: tuple[tuple[str, re.Pattern[str]], ...], *, self_identified_only: bool
) -> str | None:
    hits: list[tuple[int, str]] = []
    for segment, pattern in segments:
        for match in pattern.finditer(text):
            before = text[: match.start()]
            if NEGATION_BEFORE_RE.search(before):
                continue
            if self_identified_only and (
                not SELF_IDENTIFIED_BEFORE_RE.search(before) or OFFER_AFTER_RE.match(text, match.end())
            ):
                continue
            hits.append((match.start(), segment))
    return min(hits)[1] if hits else None


def _billing(text: str) -> Billing | None:
    """ "monthly" or "annual" when the text asks for one billing; None when it names none or both."""
    monthly = MONTHLY_RE.search(text) is not None
    annual = any(not NOT_BEFORE_RE.search(text[: match.start()]) for match in ANNUAL_RE.finditer(text))
    if monthly != annual:
        return "monthly" if monthly else "annual"
    return None


def _wants_annual_total(text: str) -> bool:
    for match in ANNUAL_TOTAL_RE.finditer(text):
        before, after_end = text[: match.start()], match.end()
        if ANNUAL_ADVERB_RE.fullmatch(match.group(0)) and (
            BILLING_VERB_NEAR_RE.search(before) or BILLING_VERB_AFTER_RE.match(text, after_end)
        ):
            continue  # "billed annually" is how they pay, not the total they ask for
        if (
            NOT_A_PERIOD_AFTER_RE.match(text, after_end)
            or IN_BEFORE_RE.search(before)
            or COMMITMENT_BEFORE_RE.search(before)
        ):
            continue  # "a year ago", "in a year", "im Jahr 2025", "commit to a year"
        return True
    return False


def _latest(history: Sequence[str], read: Callable[[int], T | None]) -> T | None:
    for index in range(len(history) - 1, -1, -1):
        value = read(index)
        if value is not None:
            return value
    return None


def _seats_in_history(history: Sequence[str], patterns: _Patterns, index: int) -> int | None:
    seats = _seats(history[index], patterns, in_context=True)
    if seats is None and index > 0 and SEAT_QUESTION_RE.search(history[index - 1]):
        seats = _loose_count(history[index], BARE_NUMBER_RE)  # "About 120." answering "how many seats?"
    return seats


def read_quote_request(
    message: str,
    *,
    context: Sequence[str] = (),
    plans: Mapping[str, str] | None = None,
    segments: Mapping[str, Sequence[str]] | None = None,
    language: str = "en",
) -> QuoteRequest | None:
    """The quote ``message`` asks for, completed from ``context``; None when it is not about price.

    ``context`` is the conversation so far, both sides, oldest first. ``plans`` maps every spelling of
    a plan (name or alias, case-folded) to its price-book name and ``segments`` each segment discount
    to the words by which prospects say they belong to it; both default to the active price book's.
    A message without price words still counts when the conversation is
    about price and it gives a slot ("yes, we're a school, 150 seats") or is a short follow-up
    naming a plan ("what about Pro?"); then ``is_price_question`` is False.
    """
    if plans is None or segments is None:
        vocabulary = current_vocabulary()
        plans = vocabulary.plan_spellings if plans is None else plans
        segments = vocabulary.segment_terms if segments is None else segments
    patterns = _patterns(tuple((spelling.casefold(), name) for spelling, name in plans.items()))
    segment_patterns = _segment_patterns(tuple((key, tuple(terms)) for key, terms in segments.items()))
    spellings = tuple(spelling.casefold() for spelling in plans)
    text = _normalise(message, language, spellings)
    history = [_normalise(earlier, language, spellings) for earlier in context]

    mentioned = _plans(text, patterns)
    seats = _seats(text, patterns, in_context=False)
    is_price_question = (
        bool(PRICE_RE.search(text))
        or bool(WEAK_PRICE_RE.search(text) and (mentioned or seats))
        or bool(patterns.plan_for_number and patterns.plan_for_number.search(text))
    )
    follow_up = bool(FOLLOW_UP_RE.search(text))
    if seats is None and (is_price_question or follow_up):
        seats = _loose_count(text, FOR_NUMBER_RE)  # "how much is Pro for 40?"
    if seats is None and history and SEAT_QUESTION_RE.search(history[-1]):
        seats = _loose_count(text, BARE_NUMBER_RE)
    segment = _segment(text, segment_patterns, self_identified_only=False)
    billing = _billing(text)
    billing_stated = billing is not None

    about_price_before = any(
        PRICE_RE.search(earlier) or SEAT_QUESTION_RE.search(earlier) for earlier in history
    )
    gives_slot = seats is not None or segment is not None or billing is not None
    plan_follow_up = bool(mentioned) and _names_only_plans(text, patterns)
    if not is_price_question and not (about_price_before and (gives_slot or plan_follow_up)):
        return None

    from_context: list[str] = []

    def from_history(slot: str, current: T | None, read: Callable[[int], T | None]) -> T | None:
        if current is not None:
            return current
        earlier = _latest(history, read)
        if earlier is not None:
            from_context.append(slot)
        return earlier

    plan = from_history(
        "plan", mentioned[0] if mentioned else None, lambda i: next(iter(_plans(history[i], patterns)), None)
    )
    seats = from_history("seats", seats, lambda i: _seats_in_history(history, patterns, i))
    billing = from_history("billing", billing, lambda i: _billing(history[i]))
    segment = from_history(
        "segment", segment, lambda i: _segment(history[i], segment_patterns, self_identified_only=True)
    )
    return QuoteRequest(
        plan=plan,
        seats=seats,
        billing=billing or "annual",
        billing_stated=billing_stated,
        segment=segment,
        wants_annual_total=_wants_annual_total(text),
        is_price_question=is_price_question,
        plans=tuple(mentioned),
        from_context=tuple(from_context),
    )
