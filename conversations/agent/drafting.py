"""Choosing the knowledge-base sentences that answer a question, for the local brain's drafts.

A draft's factual content is made only of sentences taken from the retrieved chunks (the ones
closest to each question) and of the quote tool's figures, so every price, number or link in it
comes from the knowledge base or a tool (``local_brain.py`` frames them).
"""

from __future__ import annotations

import re

import numpy as np
from markdown_it import MarkdownIt

from knowledge.embeddings import embed_texts, embedding_model_name
from knowledge.search import SearchResult
from knowledge.vocabulary import words_of

SENTENCE_RE = re.compile(r"(?<=[.!?])\s+|\n+")
LIST_MARKER_RE = re.compile(r"^\s*([-*+]|\d+[.)])\s+")
MAX_SENTENCES = 3
MIN_SENTENCE_SIMILARITY = 0.25
# Sentences that mention what the prospect mentioned (a plan, a tool, a number) are preferred.
ENTITY_BONUS = 0.08
NUMBER_BONUS = 0.03

# Sentences that share words with the question are preferred: the embedding model is English-only,
# so in other languages shared words carry much of the signal.
OVERLAP_BONUS = 0.05
MAX_OVERLAP_WORDS = 3
# Below this similarity a sentence does not answer the question. Lower in other languages, where
# similarities from the English embedding model run lower for the same relevance.
MIN_SIMILARITY_OTHER_LANGUAGES = 0.15
SHORT_WORD_LENGTH = 3
SHORT_SECTION_SENTENCES = 2
# How many of the best retrieved chunks an answer's sentences are picked from.
CHUNKS_READ = 3
# A sentence is read with the chunk it comes from: one sentence of a section close to the question
# ("You can start a 14-day free trial") beats a sentence that merely sounds like the question in a
# section about something else. Measured by `run_eval` (complete answers) on realistic_dev, dev and
# challenge, and checked on heldout_realistic (0.44 -> 0.58), which these weights were not tuned on.
CHUNK_SIMILARITY_WEIGHT = 0.3
RANK_PENALTY = 0.05
# A section's first sentence states its subject and usually its key fact.
LEAD_SENTENCE_BONUS = 0.05


_MARKDOWN = MarkdownIt()
# Characters without which a piece of text holds no inline Markdown (parsing is skipped: most don't).
MARKUP_CHARACTERS = ("*", "_", "`", "](", "\\")


def plain_text(markdown: str) -> str:
    """Inline Markdown as a prospect's mail client should show it: "**Growth** and [docs](url)" ->
    "Growth and docs (url)"; emphasis, code and escapes lose their markup."""
    parts: list[str] = []
    for token in _MARKDOWN.parseInline(markdown):
        link: str | None = None
        for child in token.children or ():
            if child.type in ("text", "code_inline"):
                parts.append(child.content)
            elif child.type in ("softbreak", "hardbreak"):
                parts.append(" ")
            elif child.type == "link_open":
                link = str(child.attrs.get("href") or "")
                start = len(parts)
            elif child.type == "link_close" and link is not None:
                label = "".join(parts[start:])
                if link and link not in label:
                    parts.append(f" ({link})")
                link = None
    return "".join(parts)


def split_sentences(text: str) -> list[str]:
    """Sentences and list items of a chunk, without list markers or other Markdown, each ending with
    punctuation."""
    sentences = []
    for piece in SENTENCE_RE.split(text):
        piece = LIST_MARKER_RE.sub("", piece).strip()
        if any(mark in piece for mark in MARKUP_CHARACTERS):
            piece = plain_text(piece).strip()
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


def _content_words(text: str) -> set[str]:
    return {word for word in words_of(text) if len(word) > SHORT_WORD_LENGTH}


def select_sentences(
    query_vector: list[float],
    results: list[SearchResult],
    *,
    entities: list[str],
    max_sentences: int = MAX_SENTENCES,
    from_top: int = CHUNKS_READ,
    question: str = "",
    exclude: set[str] | None = None,
    min_similarity: float = MIN_SENTENCE_SIMILARITY,
) -> list[tuple[str, int]]:
    """The knowledge-base sentences that best answer the query, as (sentence, chunk id) pairs.

    ``exclude`` holds sentences already in the draft (another question's answer).
    """
    candidates: list[tuple[str, int, float]] = []
    seen: set[str] = set(exclude or ())
    asked = _content_words(question)
    for rank, result in enumerate(results[:from_top]):
        chunk_score = CHUNK_SIMILARITY_WEIGHT * (result.vector_similarity or 0.0) - RANK_PENALTY * rank
        for position, sentence in enumerate(split_sentences(result.text)):
            if sentence not in seen:
                seen.add(sentence)
                lead = LEAD_SENTENCE_BONUS if position == 0 else 0.0
                candidates.append((sentence, result.chunk_id, chunk_score + lead))
    if not candidates:
        return []
    similarities = _sentence_vectors([c[0] for c in candidates]) @ np.asarray(query_vector, dtype=np.float32)
    scored = []
    for (sentence, chunk_id, chunk_score), similarity in zip(candidates, similarities, strict=True):
        lowered = sentence.lower()
        mentions = sum(1 for entity in entities if entity in lowered)
        score = float(similarity) + ENTITY_BONUS * min(mentions, 2) + chunk_score
        if re.search(r"\d", sentence):
            score += NUMBER_BONUS
        score += OVERLAP_BONUS * min(len(asked & _content_words(sentence)), MAX_OVERLAP_WORDS)
        scored.append((score, sentence, chunk_id))
    scored.sort(key=lambda item: item[0], reverse=True)
    return [
        (sentence, chunk_id)
        for score, sentence, chunk_id in scored[:max_sentences]
        if score >= min_similarity
    ]


def with_short_section(
    picked: list[tuple[str, int]], results: list[SearchResult], *, exclude: set[str]
) -> list[tuple[str, int]]:
    """The picked sentences, the best one completed by the rest of its section when the section is
    at most ``SHORT_SECTION_SENTENCES`` long: a short section is written as one answer ("a 14-day
    trial of every Pro feature. No credit card is required."), and half of it leaves facts out."""
    if not picked:
        return picked
    best_sentence, best_chunk = picked[0]
    chunk = next((result for result in results if result.chunk_id == best_chunk), None)
    if chunk is None:
        return picked
    section = split_sentences(chunk.text)
    if len(section) > SHORT_SECTION_SENTENCES:
        return picked
    taken = {sentence for sentence, _ in picked} | exclude
    siblings = [(sentence, best_chunk) for sentence in section if sentence not in taken]
    before = [pair for pair in siblings if section.index(pair[0]) < section.index(best_sentence)]
    after = [pair for pair in siblings if pair not in before]
    return [*before, picked[0], *after, *picked[1:]]
