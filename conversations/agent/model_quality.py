"""A floor under the model's answers: a schema-valid answer is not necessarily one we can use.

A small model under a JSON grammar readily answers "yes" or "no reply" with confidence 1.0. Such a
draft is not accepted silently: :func:`draft_problems` names what is wrong, the model brain asks
for one repair, and if the repaired draft is still too short it falls back to the local brain (an
off-topic draft is kept but flagged for review). :func:`confidence_review_reason` flags a model
that is itself unsure: at or below the review threshold a person checks the turn.
"""

from __future__ import annotations

import re

from django.conf import settings

# Fewer words than this is no reply to a prospect ("yes", "no reply", "Thanks!").
MIN_DRAFT_WORDS = 4
# A draft this long or longer says enough that word overlap is no fair test of topic.
OVERLAP_CHECK_MAX_WORDS = 40
_WORD = re.compile(r"\w+", re.UNICODE)
# Words that carry no topic (English plus the commonest function words of our other languages).
_STOPWORDS = frozenset(
    """
    about after again also always another anything because been before being both could does doing
    each even every from have having here hello hey hi into just know like make many more most much
    need only other over please really same should some such than thank thanks that their them then
    there these they this those through under very want what when where which while will with would
    your yours team sales happy help glad dear best regards
    para como pero esta este esto sobre donde cuando porque tambien puede tiene hola gracias
    pour avec dans sont vous nous votre merci bonjour aussi comme mais
    fuer oder auch eine einen nicht sind haben kann ihre danke hallo
    voce voces como para mais obrigado
    """.split()  # noqa: SIM905 - a word list reads better as text
)


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _topic_words(text: str) -> set[str]:
    return {word for word in _words(text) if len(word) >= 4 and word not in _STOPWORDS and not word.isdigit()}


def draft_problems(draft: str, *, message: str, evidence_texts: list[str]) -> tuple[list[str], bool]:
    """What makes ``draft`` unusable, and whether that is fatal (too short) or only worth a flag.

    Too short: fewer than :data:`MIN_DRAFT_WORDS` words. Answers nothing asked: the message asks
    something (a question mark) and a short draft shares no topic word with the message or with the
    evidence it was given (knowledge chunks, CRM record, quote).
    """
    words = _words(draft)
    if len(words) < MIN_DRAFT_WORDS:
        shown = draft.strip()[:60] or "(empty)"
        return [f'the reply_draft "{shown}" is too short to answer the prospect ({len(words)} word(s))'], True
    if "?" in message and len(words) < OVERLAP_CHECK_MAX_WORDS:
        topics = _topic_words(message)
        for text in evidence_texts:
            topics |= _topic_words(text)
        if topics and not (_topic_words(draft) & topics):
            return [
                "the reply_draft answers nothing the prospect asked (it shares no topic with the "
                "message or the data given)"
            ], False
    return [], False


def confidence_review_reason(confidence: float) -> str | None:
    """A review reason when the model's own confidence equals the review threshold: below it the
    shared policy already flags the turn, so together every confidence at or below it is flagged."""
    threshold = settings.HUMAN_REVIEW_CONFIDENCE_THRESHOLD
    if confidence == threshold:
        return f"the model's confidence {confidence:.2f} is at or below the review threshold {threshold:.2f}"
    return None
