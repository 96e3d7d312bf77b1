"""Grounded reply drafts for the local brain.

The body of a draft is made only of sentences taken from the retrieved knowledge-base chunks (the
ones closest to the prospect's question), framed by an opening and a closing line per intent that
make no factual claims of their own. So every price, number or link in a draft comes from the
knowledge base.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from crm.client import ProspectRecord
from knowledge.embeddings import embed_texts, embedding_model_name
from knowledge.search import SearchResult

SENTENCE_RE = re.compile(r"(?<=[.!?])\s+|\n+")
LIST_MARKER_RE = re.compile(r"^\s*([-*+]|\d+[.)])\s+")
MAX_SENTENCES = 3
MIN_SENTENCE_SIMILARITY = 0.25
# Sentences that mention what the prospect mentioned (a plan, a tool, a number) are preferred.
ENTITY_BONUS = 0.08
NUMBER_BONUS = 0.03

# Intents whose reply does not draw on the knowledge base.
NO_KNOWLEDGE_INTENTS = {"greeting", "not_interested"}

OPENERS: dict[str, str] = {
    "pricing_inquiry": "Thanks for asking{name_comma}.",
    "policy_question": "Good question{name_comma}.",
    "product_interest": "Great to hear{name_comma}!",
    "complaint": "I'm really sorry about this{name_comma}; that is not the experience we want you to have.",
    "payment_question": "Happy to help with that{name_comma}.",
    "product_comparison": "Happy to walk you through the differences{name_comma}.",
    "conversion_signal": "That's fantastic{name_comma}!",
    "information_request": "Of course{name_comma}.",
    "objection": "I understand{name_comma}, and thank you for being candid.",
    "localization_question": "Good question{name_comma}.",
    "integration_question": "Good question{name_comma}.",
    "meeting_request": "I'd be glad to set that up{name_comma}.",
    "trial_request": "Absolutely{name_comma}.",
    "security_question": "Security matters to us too{name_comma}.",
    "competitor_mention": "Thanks for sharing that{name_comma}.",
    "not_interested": "Understood{name_comma}, and thank you for letting us know.",
    "greeting": "Hi{name_space}, thanks for reaching out!",
}
CLOSERS: dict[str, str] = {
    "pricing_inquiry": "Would you like me to prepare a quote for your team size?",
    "policy_question": "Is there anything else about our terms I can clarify?",
    "product_interest": "Would you like a live demo to see it with your own data?",
    "complaint": "I'm escalating this to our support lead now and will follow up with you personally.",
    "payment_question": "Which option would work best for you?",
    "product_comparison": "If you tell me a bit about your team, I can recommend the best fit.",
    "conversion_signal": "I'll send you the sign-up details and guide you through the first steps.",
    "information_request": "Let me know if you need help finding anything specific.",
    "objection": "Could you tell me a bit more about your needs so I can see whether there is a good fit?",
    "localization_question": "Would you like me to help you switch the language for your team?",
    "integration_question": "Would you like help setting up the connection?",
    "meeting_request": "Which day and time work best for you?",
    "trial_request": "Shall I set up the trial for you?",
    "security_question": "I can also send you our security documentation if that helps.",
    "competitor_mention": "Would a side-by-side demo with your current setup be useful?",
    "not_interested": "We won't contact you again unless you reach out. All the best.",
    "greeting": "What are you hoping to achieve with your reporting and analytics?",
}
FALLBACK_BODY = "Let me check the details with the team and get back to you shortly."


@dataclass(frozen=True)
class Draft:
    text: str
    cited_chunk_ids: list[int]
    sentences: list[str]


def split_sentences(text: str) -> list[str]:
    """Sentences and list items of a chunk, without list markers, each ending with punctuation."""
    sentences = []
    for piece in SENTENCE_RE.split(text):
        piece = LIST_MARKER_RE.sub("", piece).strip()
        if len(piece.split()) < 3:
            continue
        if piece[-1] not in ".!?":
            piece += "."
        sentences.append(piece[0].upper() + piece[1:])
    return sentences


_SENTENCE_VECTORS: dict[tuple[str, str], np.ndarray] = {}
_SENTENCE_CACHE_LIMIT = 20_000


def _sentence_vectors(sentences: list[str]) -> np.ndarray:
    """Embeddings of knowledge-base sentences, memoised per process: the same chunks come back often."""
    model_name = embedding_model_name()
    missing = [s for s in dict.fromkeys(sentences) if (model_name, s) not in _SENTENCE_VECTORS]
    if missing:
        if len(_SENTENCE_VECTORS) + len(missing) > _SENTENCE_CACHE_LIMIT:
            _SENTENCE_VECTORS.clear()
        for sentence, vector in zip(missing, embed_texts(missing), strict=True):
            _SENTENCE_VECTORS[(model_name, sentence)] = np.asarray(vector, dtype=np.float32)
    return np.stack([_SENTENCE_VECTORS[(model_name, s)] for s in sentences])


def select_sentences(
    query_vector: list[float],
    results: list[SearchResult],
    *,
    entities: list[str],
    max_sentences: int = MAX_SENTENCES,
    from_top: int = 3,
) -> list[tuple[str, int]]:
    """The knowledge-base sentences that best answer the query, as (sentence, chunk id) pairs."""
    candidates: list[tuple[str, int, int]] = []
    seen: set[str] = set()
    for rank, result in enumerate(results[:from_top]):
        for sentence in split_sentences(result.text):
            if sentence not in seen:
                seen.add(sentence)
                candidates.append((sentence, result.chunk_id, rank))
    if not candidates:
        return []
    similarities = _sentence_vectors([c[0] for c in candidates]) @ np.asarray(query_vector, dtype=np.float32)
    scored = []
    for (sentence, chunk_id, rank), similarity in zip(candidates, similarities, strict=True):
        lowered = sentence.lower()
        mentions = sum(1 for entity in entities if entity in lowered)
        score = float(similarity) + ENTITY_BONUS * min(mentions, 2) - 0.02 * rank
        if re.search(r"\d", sentence):
            score += NUMBER_BONUS
        scored.append((score, sentence, chunk_id))
    scored.sort(key=lambda item: item[0], reverse=True)
    return [
        (sentence, chunk_id)
        for score, sentence, chunk_id in scored[:max_sentences]
        if score >= MIN_SENTENCE_SIMILARITY
    ]


def _frame(template: str, prospect: ProspectRecord | None) -> str:
    name = prospect.first_name if prospect else ""
    return template.format(name_comma=f", {name}" if name else "", name_space=f" {name}" if name else "")


def compose_draft(
    *,
    intent: str,
    query_vector: list[float],
    knowledge: list[SearchResult],
    entities: list[str],
    prospect: ProspectRecord | None,
) -> Draft:
    """Opening line, the best-matching knowledge-base sentences, and a call to action."""
    opener = _frame(OPENERS.get(intent, "Thanks for your message{name_comma}."), prospect)
    closer = CLOSERS.get(intent, "How can I help further?")
    chosen: list[tuple[str, int]] = []
    if intent not in NO_KNOWLEDGE_INTENTS:
        chosen = select_sentences(query_vector, knowledge, entities=entities)
    sentences = [sentence for sentence, _ in chosen]
    if intent in NO_KNOWLEDGE_INTENTS:
        body: list[str] = []
    elif sentences:
        body = sentences
    else:
        body = [FALLBACK_BODY]
    cited = list(dict.fromkeys(chunk_id for _, chunk_id in chosen))
    return Draft(text=" ".join([opener, *body, closer]), cited_chunk_ids=cited, sentences=sentences)
