"""Knowledge-base search: pgvector candidates (``vector_search``) and Postgres full-text candidates
fused by RRF.

Every search is in one language: only documents written in it are searched, and the full-text leg
parses the query with that language's text-search configuration.
"""

from __future__ import annotations

import json
import re
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Literal

from django.core.cache import cache
from django.db import connection

from knowledge.embeddings import embed_query, embedding_model_name
from knowledge.index_version import SEARCH_CACHE_TIMEOUT, index_cache_key
from knowledge.languages import DEFAULT_LANGUAGE, LANGUAGES, text_search_config
from knowledge.vector_search import vector_candidates, vector_candidates_and_preferred
from salesagent.metrics import timed_search

SearchMode = Literal["hybrid", "vector", "text"]
SEARCH_MODES: tuple[str, ...] = ("hybrid", "vector", "text")
RRF_K = 60
CANDIDATES = 40
# Lexemes found in more than this share of chunks ("orbit", "plan" in a product's own help centre)
# carry no signal for ranking; Postgres full-text ranking has no IDF, so they are dropped from queries.
COMMON_LEXEME_SHARE = 0.25
MIN_CHUNKS_FOR_COMMON_LEXEMES = 20
LEXEME_RE = re.compile(r"'((?:[^']|'')+)'")
# Explicit web-search syntax: a quoted phrase, a leading -exclusion or an upper-case OR. Lower-case
# "or" is left out on purpose: prospects write it in prose ("Starter or Pro?"), where AND-ing
# each side would match almost nothing, and OR-ing all lexemes already covers both alternatives.
WEBSEARCH_SYNTAX_RE = re.compile(r'"|(?:^|\s)-\w|\sOR\s')


@dataclass
class SearchResult:
    chunk_id: int
    document_slug: str
    document_title: str
    category: str
    heading_path: str
    text: str
    score: float
    vector_rank: int | None = None
    text_rank: int | None = None
    vector_similarity: float | None = None
    language: str = DEFAULT_LANGUAGE
    # The slug of the original a translation translates, else the document's own slug: the same
    # source whatever language the answer is in.
    canonical_slug: str = ""

    def __post_init__(self) -> None:
        self.canonical_slug = self.canonical_slug or self.document_slug

    def as_dict(self) -> dict[str, object]:
        return {
            "chunk_id": self.chunk_id,
            "document": self.document_slug,
            "canonical_slug": self.canonical_slug,
            "language": self.language,
            "title": self.document_title,
            "category": self.category,
            "heading_path": self.heading_path,
            "text": self.text,
            "score": round(self.score, 4),
            "vector_rank": self.vector_rank,
            "text_rank": self.text_rank,
            "vector_similarity": None if self.vector_similarity is None else round(self.vector_similarity, 4),
        }


@dataclass
class _Candidates:
    ranks: dict[int, int] = field(default_factory=dict)
    similarity: dict[int, float] = field(default_factory=dict)
    documents: dict[int, int] = field(default_factory=dict)


def _filter_sql(
    category: str | None, tags: Sequence[str] | None, document: str | None, language: str
) -> tuple[str, list]:
    # The language is part of every filter (and so of every cache key built from it). Searching one
    # language of a single-language base keeps every row, so the row count that picks the vector
    # strategy is the same as without the clause.
    clauses = ["d.is_active", "c.embedding_model = %s", "d.language = %s"]
    params: list = [embedding_model_name(), language]
    if category:
        clauses.append("d.category = %s")
        params.append(category)
    if tags:
        clauses.append("d.tags ?| %s")
        params.append(list(tags))
    if document:
        clauses.append("d.slug = %s")
        params.append(document)
    return " AND ".join(clauses), params


def _as_candidates(rows: list[tuple[int, int, float]]) -> _Candidates:
    candidates = _Candidates()
    for rank, (chunk_id, document_id, similarity) in enumerate(rows, start=1):
        candidates.ranks[chunk_id] = rank
        candidates.similarity[chunk_id] = similarity
        candidates.documents[chunk_id] = document_id
    return candidates


_LANGUAGE_VECTORS_SQL = (
    "SELECT c.search_vector FROM knowledge_chunk c JOIN knowledge_document d ON d.id = c.document_id "
    "WHERE c.search_vector IS NOT NULL AND d.language = %L"
)


def common_lexemes(language: str = DEFAULT_LANGUAGE) -> frozenset[str]:
    """Lexemes present in so many chunks of one language that matching them says nothing about
    relevance (counted per language: "orbit" is common in every one, "plan" only in English)."""
    key = index_cache_key("common-lexemes", language)
    lexemes = cache.get(key)
    if lexemes is None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM knowledge_chunk c JOIN knowledge_document d ON d.id = c.document_id "
                "WHERE c.search_vector IS NOT NULL AND d.language = %s",
                [language],
            )
            total = cursor.fetchone()[0]
            lexemes = []
            if total >= MIN_CHUNKS_FOR_COMMON_LEXEMES:
                # ts_stat runs a statement given as text: format(%L) quotes the language into it.
                cursor.execute(
                    "SELECT word FROM ts_stat(format(%s, %s::text)) WHERE ndoc > %s",
                    [_LANGUAGE_VECTORS_SQL, language, total * COMMON_LEXEME_SHARE],
                )
                lexemes = [word for (word,) in cursor.fetchall()]
        cache.set(key, lexemes, timeout=3600)
    return frozenset(lexemes)


def uses_websearch_syntax(query: str) -> bool:
    """Whether the query asks for web-search operators (phrase, exclusion, OR) to be honoured."""
    return bool(WEBSEARCH_SYNTAX_RE.search(query))


def text_search_query(query: str, *, language: str = DEFAULT_LANGUAGE) -> str | None:
    """The tsquery (as text) for a query, parsed by ``websearch_to_tsquery(<language's config>, ...)``.

    Explicit syntax is kept as parsed. A plain sentence would AND every word and match almost
    nothing, so its distinctive lexemes are OR-ed instead and ``ts_rank_cd`` rewards chunks that
    match more of them.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT websearch_to_tsquery(%s::regconfig, %s)::text", [text_search_config(language), query]
        )
        parsed = cursor.fetchone()[0] or ""
    if uses_websearch_syntax(query):
        return parsed or None
    lexemes = list(dict.fromkeys(LEXEME_RE.findall(parsed)))
    common = common_lexemes(language)
    distinctive = [lexeme for lexeme in lexemes if lexeme.replace("''", "'") not in common] or lexemes
    return " | ".join(f"'{lexeme}'" for lexeme in distinctive) or None


def _text_candidates(query: str, where: str, params: list, limit: int, language: str) -> _Candidates:
    candidates = _Candidates()
    tsquery = text_search_query(query, language=language)
    if tsquery is None:
        return candidates
    sql = f"""
        SELECT c.id, c.document_id
        FROM knowledge_chunk c JOIN knowledge_document d ON d.id = c.document_id
        WHERE c.search_vector @@ %s::tsquery AND {where}
        ORDER BY ts_rank_cd(c.search_vector, %s::tsquery, 1) DESC, c.id
        LIMIT %s
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [tsquery, *params, tsquery, limit])
        for rank, (chunk_id, document_id) in enumerate(cursor.fetchall(), start=1):
            candidates.ranks[chunk_id] = rank
            candidates.documents[chunk_id] = document_id
    return candidates


def reciprocal_rank_fusion(rankings: Iterable[dict[int, int]], k: int = RRF_K) -> dict[int, float]:
    """Fuse rank lists (id -> 1-based rank) into one score per id: sum of 1 / (k + rank)."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for item_id, rank in ranking.items():
            scores[item_id] = scores.get(item_id, 0.0) + 1.0 / (k + rank)
    return scores


# A ranked hit as cached: (chunk id, score, vector rank, text rank, vector similarity).
_Hit = tuple[int, float, int | None, int | None, float | None]


def _rank(
    query: str,
    *,
    k: int,
    mode: SearchMode,
    where: str,
    params: list,
    language: str,
    max_per_document: int | None,
    query_vector: Sequence[float] | None,
    prefer_categories: Sequence[str] | None,
) -> list[_Hit]:
    limit = max(CANDIDATES, k * 4)
    vector = text = preferred = _Candidates()
    if mode in ("hybrid", "vector"):
        query_vector = query_vector or embed_query(query)
        if mode == "hybrid" and prefer_categories:
            rows, preferred_rows = vector_candidates_and_preferred(
                query_vector, where=where, params=params, categories=prefer_categories, limit=limit
            )
            vector, preferred = _as_candidates(rows), _as_candidates(preferred_rows)
        else:
            vector = _as_candidates(vector_candidates(query_vector, where=where, params=params, limit=limit))
    if mode in ("hybrid", "text"):
        text = _text_candidates(query, where, params, limit, language)

    if mode == "vector":
        scores = dict(vector.similarity)
    elif mode == "text":
        scores = {chunk_id: 1.0 / (RRF_K + rank) for chunk_id, rank in text.ranks.items()}
    else:
        scores = reciprocal_rank_fusion([vector.ranks, text.ranks, preferred.ranks])
    documents = {**preferred.documents, **text.documents, **vector.documents}

    hits: list[_Hit] = []
    per_document: dict[int, int] = {}
    for chunk_id in sorted(scores, key=lambda chunk_id: (-scores[chunk_id], chunk_id)):
        document_id = documents[chunk_id]
        if max_per_document and per_document.get(document_id, 0) >= max_per_document:
            continue
        per_document[document_id] = per_document.get(document_id, 0) + 1
        hits.append(
            (
                chunk_id,
                scores[chunk_id],
                vector.ranks.get(chunk_id),
                text.ranks.get(chunk_id),
                vector.similarity.get(chunk_id),
            )
        )
        if len(hits) >= k:
            break
    return hits


def _hydrate(
    hits: list[_Hit],
    *,
    category: str | None,
    tags: Sequence[str] | None,
    document: str | None,
    language: str,
) -> list[SearchResult] | None:
    """Load the ranked chunks; None when any is gone or no longer matches (the ranking is stale)."""
    # Raw SQL and only the columns shown: the ORM with the embedding (TOASTed, parsed into an
    # array) and document body cost ~0.8 ms per search, this ~0.2 ms.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.id, c.heading_path, c.text, d.slug, d.title, d.category, d.tags, d.is_active, "
            "d.language, coalesce(o.slug, d.slug) "
            "FROM knowledge_chunk c JOIN knowledge_document d ON d.id = c.document_id "
            "LEFT JOIN knowledge_document o ON o.id = d.translation_of_id WHERE c.id = ANY(%s)",
            [[hit[0] for hit in hits]],
        )
        rows = {row[0]: row for row in cursor.fetchall()}
    results: list[SearchResult] = []
    for chunk_id, score, vector_rank, text_rank, similarity in hits:
        if chunk_id not in rows:
            return None
        row = rows[chunk_id]
        _, heading_path, text, slug, title, doc_category, doc_tags, is_active = row[:8]
        doc_language, canonical = row[8:]
        doc_tags = json.loads(doc_tags) if isinstance(doc_tags, str) else doc_tags or []
        if (
            not is_active
            or doc_language != language
            or (category and doc_category != category)
            or (tags and not set(tags) & set(doc_tags))
            or (document and slug != document)
        ):
            return None
        results.append(
            SearchResult(
                chunk_id=chunk_id,
                document_slug=slug,
                document_title=title,
                category=doc_category,
                heading_path=heading_path,
                text=text,
                score=score,
                vector_rank=vector_rank,
                text_rank=text_rank,
                vector_similarity=similarity,
                language=doc_language,
                canonical_slug=canonical,
            )
        )
    return results


@timed_search
def search_knowledge(
    query: str,
    *,
    k: int = 5,
    mode: SearchMode = "hybrid",
    category: str | None = None,
    tags: Sequence[str] | None = None,
    document: str | None = None,
    max_per_document: int | None = 2,
    query_vector: list[float] | None = None,
    prefer_categories: Sequence[str] | None = None,
    use_cache: bool = True,
    language: str = DEFAULT_LANGUAGE,
) -> list[SearchResult]:
    """Return up to ``k`` chunks for ``query``, best first, at most ``max_per_document`` per document.

    Only documents in ``language`` (an ISO 639-1 code) are searched; a language with no documents,
    or one we do not know, returns ``[]``. ``prefer_categories`` (hybrid mode) fuses a third
    ranking, the vector candidates within those categories, so documents where answers of this kind
    usually live rank higher without excluding anything else. Rankings are cached per index
    version; ``use_cache=False`` bypasses that (benchmarks).
    """
    query = query.strip()
    if not query or k <= 0 or language not in LANGUAGES:
        return []
    where, params = _filter_sql(category, tags, document, language)
    rank = partial(
        _rank,
        query,
        k=k,
        mode=mode,
        where=where,
        params=params,
        language=language,
        max_per_document=max_per_document,
        query_vector=query_vector,
        prefer_categories=prefer_categories,
    )
    hydrate = partial(_hydrate, category=category, tags=tags, document=document, language=language)
    if not use_cache:
        return hydrate(rank()) or []

    # Everything that shapes the ranking is in the key (the language through ``where``/``params``, a
    # supplied vector only where it is used); the version makes any reindex start from an empty cache.
    vector_hex = array("f", query_vector).tobytes().hex() if query_vector and mode != "text" else None
    shape = (max_per_document, vector_hex, sorted(prefer_categories or []))
    key = index_cache_key("search", query, k, mode, where, params, *shape)
    hits = cache.get(key)
    if hits is not None:
        # Chunk text is loaded fresh, so a cached ranking never shows content that is gone.
        results = hydrate(hits)
        if results is not None:
            return results
    hits = rank()
    cache.set(key, hits, timeout=SEARCH_CACHE_TIMEOUT)
    return hydrate(hits) or []
