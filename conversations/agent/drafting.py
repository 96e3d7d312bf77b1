"""Choosing the knowledge-base sentences that answer a question, for the local brain's drafts.

A draft's factual content is made only of sentences taken from the retrieved chunks (the ones
closest to each question) and of the quote tool's figures, so every price, number or link in it
comes from the knowledge base or a tool (``local_brain.py`` frames them).
"""

from __future__ import annotations

import re

import numpy as np
from markdown_it import MarkdownIt

from conversations.agent.sentence_scoring import Selection, best_reaching, record_selection, sentence_scorer
from knowledge.embeddings import embed_texts, embedding_model_name
from knowledge.languages import DEFAULT_LANGUAGE
from knowledge.search import SearchResult
from knowledge.vocabulary import words_of

SENTENCE_RE = re.compile(r"(?<=[.!?])\s+|\n+")
LIST_MARKER_RE = re.compile(r"^\s*([-*+]|\d+[.)])\s+")
MAX_SENTENCES = 3
# Caps of two features (see sentence_scoring.FEATURE_NAMES): a third entity or a fourth shared word
# says little more about a sentence than the first ones.
MAX_ENTITY_MENTIONS = 2
MAX_OVERLAP_WORDS = 3
SHORT_WORD_LENGTH = 3
SHORT_SECTION_SENTENCES = 2
# How many of the best retrieved chunks an answer's sentences are picked from.
CHUNKS_READ = 3

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
    language: str = DEFAULT_LANGUAGE,
) -> list[tuple[str, int]]:
    """The knowledge-base sentences that best answer the query, as (sentence, chunk id) pairs.

    Each candidate is scored by ``sentence_scoring`` (its weights are data, fitted on labelled
    datasets); at most ``max_sentences`` at or above the scorer's threshold are kept, best first.
    ``exclude`` holds sentences already in the draft (another question's answer).
    """
    candidates: list[tuple[str, int, int, int]] = []  # sentence, chunk id, chunk rank, position
    chunk_similarity: dict[int, float] = {}
    seen: set[str] = set(exclude or ())
    for rank, result in enumerate(results[:from_top]):
        chunk_similarity[result.chunk_id] = result.vector_similarity or 0.0
        for position, sentence in enumerate(split_sentences(result.text)):
            if sentence not in seen:
                seen.add(sentence)
                candidates.append((sentence, result.chunk_id, rank, position))
    if not candidates:
        return []
    sentences = [candidate[0] for candidate in candidates]
    similarities = _sentence_vectors(sentences) @ np.asarray(query_vector, dtype=np.float32)
    asked = _content_words(question)
    other_language = float(language != DEFAULT_LANGUAGE)
    features = np.asarray(
        [
            [
                float(similarity),
                chunk_similarity[chunk_id],
                float(rank),
                float(position == 0),
                float(min(sum(1 for entity in entities if entity in sentence.lower()), MAX_ENTITY_MENTIONS)),
                float(bool(re.search(r"\d", sentence))),
                float(min(len(asked & _content_words(sentence)), MAX_OVERLAP_WORDS)),
                other_language,
                other_language * float(similarity),
            ]
            for (sentence, chunk_id, rank, position), similarity in zip(candidates, similarities, strict=True)
        ]
    )
    record_selection(Selection(sentences=sentences, features=features, max_sentences=max_sentences))
    scorer = sentence_scorer()
    kept = best_reaching(scorer.scores(features), scorer.threshold, max_sentences)
    return [(candidates[i][0], candidates[i][1]) for i in kept]


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
