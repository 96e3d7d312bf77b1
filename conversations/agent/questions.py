"""Splitting a prospect's message into the questions and requests it makes, so each gets an answer.

Prospects write "Three things: SSO? bank transfer? onboarding time?", numbered lists, or a long email
with questions between greetings and context. The split is deterministic and language-agnostic where
it can be: question marks, list items and line breaks first, then a question joined to the next by
", and" + an auxiliary verb ("can we pay by transfer, and can you invoice in GBP?"). Sentences
without a question mark are kept only when they ask for something ("please send ...").
"""

from __future__ import annotations

import re

MAX_QUESTIONS = 5
# A fragment shorter than this is not a question of its own ("Hi!", "Thanks,").
MIN_WORDS = 2
LIST_ITEM_RE = re.compile(r"^\s*(?:[-*•]|\(?\d{1,2}[.)])\s+")
# Sentence ends; a question mark may be doubled ("??") or followed by closing quotes.
SENTENCE_END_RE = re.compile(r"(?<=[.!?])[\"')\]]*\s+|(?<=[?])(?=[A-Za-zÀ-ÿ¿¡])")
# A salutation or sign-off is at most this long ("Thanks a lot,", "Hi there!").
GREETING_MAX_WORDS = 4
# "…, and can you …" / "…; also is there …": a second question after a comma or semicolon ("or"
# joins alternatives of one question: "Does Team include SSO, or is that Pro only?").
JOINED_QUESTION_RE = re.compile(
    r"[,;]\s+(?:and|also|plus)\s+(?=(?:can|could|do|does|did|is|are|will|would|should|how|what|where|"
    r"when|which|who|why|may)\b)",
    re.IGNORECASE,
)
# "also is the data encrypted" without a comma: a new question led by "also".
ALSO_QUESTION_RE = re.compile(
    r"\s+also\s+(?=(?:can|could|do|does|is|are|will|would|how|what|where|which)\b)", re.IGNORECASE
)
# A question written without its question mark ("also is the data encrypted at rest").
BARE_QUESTION_RE = re.compile(
    r"^\W*(?:(?:and|also|plus|btw)\s+)*(?:can|could|do|does|is|are|will|would|how|what|where|which|when)\s+\w+",
    re.IGNORECASE,
)
# A question that points back at the sentence before it ("can orbit read from it directly?").
ANAPHOR_RE = re.compile(r"\b(it|that|this|them|those|these|there)\b", re.IGNORECASE)
# Requests without a question mark, in the languages we answer in.
REQUEST_RE = re.compile(
    r"^\W*(please|pls|kindly|send|tell|share|give|show|confirm|let me know|i(?:'d| would) like|"
    r"we(?:'d| would) like|i need|we need|i want|we want|i'm looking for|we're looking for|"
    r"por favor|envíe|envie|mande|me gustaría|quisiera|gostaria|merci de|pourriez|veuillez|"
    r"je voudrais|nous voudrions|bitte|ich möchte|wir möchten|senden sie)\b",
    re.IGNORECASE,
)
# An opening that introduces the questions rather than asking one ("Three things:", "A few questions:").
INTRO_RE = re.compile(r":\s*$")
GREETING_RE = re.compile(
    r"^\W*(hi|hello|hey|dear|thanks|thank you|cheers|best|regards|hola|buenas|buenos días|bom dia|"
    r"boa tarde|olá|oi|bonjour|salut|merci|guten tag|hallo|danke)\b[\w\s,!.]*$",
    re.IGNORECASE,
)


def _fragments(message: str) -> list[str]:
    """Lines, list items and sentences of a message, in order."""
    pieces: list[str] = []
    for line in message.splitlines():
        line = LIST_ITEM_RE.sub("", line).strip()
        if not line:
            continue
        # "Intro: question one? question two?" splits after the colon too.
        head, colon, tail = line.partition(": ")
        if colon and "?" in tail and "?" not in head:
            pieces.append(head + ":")
            line = tail
        pieces.extend(part.strip() for part in SENTENCE_END_RE.split(line) if part and part.strip())
    return pieces


def _split_joined(question: str) -> list[str]:
    parts = [p.strip() for p in JOINED_QUESTION_RE.split(question) if p.strip()]
    split: list[str] = []
    for part in parts:
        split.extend(p.strip() for p in ALSO_QUESTION_RE.split(part) if p.strip())
    # Each part must read as a question on its own; otherwise keep the sentence whole.
    if len(split) > 1 and all(len(p.split()) >= 3 for p in split):
        return [p if p.endswith("?") else p.rstrip(".,;") + "?" for p in split]
    return [question]


def _raw_questions(message: str) -> list[str]:
    """Every question or request found in ``message``, in order, without duplicates."""
    questions: list[str] = []
    previous_statement = ""
    for fragment in _fragments(message):
        words = fragment.split()
        if (len(words) < MIN_WORDS and "?" not in fragment) or (
            len(words) <= GREETING_MAX_WORDS and GREETING_RE.match(fragment)
        ):
            continue
        if INTRO_RE.search(fragment):
            previous_statement = ""
            continue
        if "?" in fragment or BARE_QUESTION_RE.match(fragment):
            if "?" not in fragment:
                fragment = fragment.rstrip(".,;") + "?"
            for question in _split_joined(fragment):
                if previous_statement and ANAPHOR_RE.search(question):
                    question = f"{previous_statement} {question}"
                questions.append(question)
            previous_statement = ""
        elif REQUEST_RE.match(fragment):
            questions.append(fragment)
            previous_statement = ""
        else:
            previous_statement = fragment
    return list(dict.fromkeys(questions))


def split_questions(message: str) -> list[str]:
    """The questions and requests in ``message``, in order, each readable on its own.

    A message with one question or none is returned whole (its statements are the question's
    context). With several, a question that points back ("it", "that") carries the statement just
    before it.
    """
    questions = _raw_questions(message)
    if len(questions) <= 1:
        return [message.strip()]
    return questions[:MAX_QUESTIONS]


def main_question(message: str) -> str:
    """The question that leads the message (its first), when the message holds more than that
    question (greetings, context, other questions); empty when the message is just the question."""
    questions = _raw_questions(message)
    return questions[0] if questions and questions[0] != message.strip() else ""
