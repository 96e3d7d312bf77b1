"""Knowledge-base search: pgvector HNSW candidates and Postgres full-text candidates fused by RRF."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from django.core.cache import cache
from django.db import connection, transaction

from knowledge.embeddings import embed_query, embedding_model_name
from knowledge.models import Chunk

SearchMode = Literal["hybrid", "vector", "text"]
SEARCH_MODES: tuple[str, ...] = ("hybrid", "vector", "text")
RRF_K = 60
CANDIDATES = 40
HNSW_EF_SEARCH = 40
# Lexemes found in more than this share of chunks ("orbit", "plan" in a product's own help centre)
# carry no signal for ranking; Postgres full-text ranking has no IDF, so they are dropped from queries.
COMMON_LEXEME_SHARE = 0.25
MIN_CHUNKS_FOR_COMMON_LEXEMES = 20
LEXEME_RE = re.compile(r"'((?:[^']|'')+)'")
SEARCH_VERSION_KEY = "knowledge:search-version"


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

    def as_dict(self) -> dict[str, object]:
        return {
            "chunk_id": self.chunk_id,
            "document": self.document_slug,
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


def _filter_sql(category: str | None, tags: Sequence[str] | None, document: str | None) -> tuple[str, list]:
    clauses = ["d.is_active", "c.embedding_model = %s"]
    params: list = [embedding_model_name()]
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


def _vector_candidates(query_vector: list[float], where: str, params: list, filtered: bool) -> _Candidates:
    sql = f"""
        SELECT c.id, 1 - (c.embedding <=> %s::vector) AS similarity
        FROM knowledge_chunk c JOIN knowledge_document d ON d.id = c.document_id
        WHERE {where}
        ORDER BY c.embedding <=> %s::vector
        LIMIT %s
    """
    vector_literal = "[" + ",".join(f"{x:.7f}" for x in query_vector) + "]"
    candidates = _Candidates()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('hnsw.ef_search', %s, true)", [str(HNSW_EF_SEARCH)])
        if filtered:
            # Without iterative scans a selective filter can leave HNSW with fewer than k rows.
            cursor.execute("SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true)")
        cursor.execute(sql, [vector_literal, *params, vector_literal, CANDIDATES])
        rows = cursor.fetchall()
    # relaxed_order may return rows slightly out of order; rank by the exact similarity.
    rows.sort(key=lambda row: row[1], reverse=True)
    for rank, (chunk_id, similarity) in enumerate(rows, start=1):
        candidates.ranks[chunk_id] = rank
        candidates.similarity[chunk_id] = float(similarity)
    return candidates


def search_version() -> int:
    """A counter bumped whenever the indexed chunks change; part of every derived cache key."""
    return cache.get_or_set(SEARCH_VERSION_KEY, 1, timeout=None)


def bump_search_version() -> None:
    """Invalidate everything cached from the index (call after chunks change)."""
    try:
        cache.incr(SEARCH_VERSION_KEY)
    except ValueError:
        cache.set(SEARCH_VERSION_KEY, 2, timeout=None)


def common_lexemes() -> frozenset[str]:
    """Lexemes present in so many chunks that matching them says nothing about relevance."""
    key = f"knowledge:common-lexemes:{search_version()}"
    lexemes = cache.get(key)
    if lexemes is None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM knowledge_chunk WHERE search_vector IS NOT NULL")
            total = cursor.fetchone()[0]
            lexemes = []
            if total >= MIN_CHUNKS_FOR_COMMON_LEXEMES:
                cursor.execute(
                    "SELECT word FROM ts_stat('SELECT search_vector FROM knowledge_chunk "
                    "WHERE search_vector IS NOT NULL') WHERE ndoc > %s",
                    [total * COMMON_LEXEME_SHARE],
                )
                lexemes = [word for (word,) in cursor.fetchall()]
        cache.set(key, lexemes, timeout=3600)
    return frozenset(lexemes)


def text_search_query(query: str) -> str | None:
    """The tsquery (as text) for a prospect's sentence: any distinctive lexeme may match.

    AND-ing every word (plainto/websearch semantics) would match almost nothing for a full
    sentence, so lexemes are OR-ed and ``ts_rank_cd`` rewards chunks matching more of them.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT plainto_tsquery('english', %s)::text", [query])
        parsed = cursor.fetchone()[0] or ""
    lexemes = list(dict.fromkeys(LEXEME_RE.findall(parsed)))
    common = common_lexemes()
    distinctive = [lexeme for lexeme in lexemes if lexeme.replace("''", "'") not in common] or lexemes
    return " | ".join(f"'{lexeme}'" for lexeme in distinctive) or None


def _text_candidates(query: str, where: str, params: list) -> _Candidates:
    candidates = _Candidates()
    tsquery = text_search_query(query)
    if tsquery is None:
        return candidates
    sql = f"""
        SELECT c.id
        FROM knowledge_chunk c JOIN knowledge_document d ON d.id = c.document_id
        WHERE c.search_vector @@ %s::tsquery AND {where}
        ORDER BY ts_rank_cd(c.search_vector, %s::tsquery, 1) DESC, c.id
        LIMIT %s
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [tsquery, *params, tsquery, CANDIDATES])
        for rank, (chunk_id,) in enumerate(cursor.fetchall(), start=1):
            candidates.ranks[chunk_id] = rank
    return candidates


def reciprocal_rank_fusion(rankings: Iterable[dict[int, int]], k: int = RRF_K) -> dict[int, float]:
    """Fuse rank lists (id -> 1-based rank) into one score per id: sum of 1 / (k + rank)."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for item_id, rank in ranking.items():
            scores[item_id] = scores.get(item_id, 0.0) + 1.0 / (k + rank)
    return scores


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
) -> list[SearchResult]:
    """Return up to ``k`` chunks for ``query``, best first, at most ``max_per_document`` per document.

    ``prefer_categories`` (hybrid mode) fuses a third ranking, the vector candidates within those
    categories, so documents where answers of this kind usually live rank higher without
    excluding anything else.
    """
    query = query.strip()
    if not query or k <= 0:
        return []
    where, params = _filter_sql(category, tags, document)
    filtered = bool(category or tags or document)

    vector = _Candidates()
    text = _Candidates()
    preferred = _Candidates()
    if mode in ("hybrid", "vector"):
        query_vector = query_vector or embed_query(query)
        vector = _vector_candidates(query_vector, where, params, filtered)
    if mode in ("hybrid", "text"):
        text = _text_candidates(query, where, params)
    if mode == "hybrid" and prefer_categories:
        preferred = _vector_candidates(
            query_vector, f"{where} AND d.category = ANY(%s)", [*params, list(prefer_categories)], True
        )

    if mode == "vector":
        scores = dict(vector.similarity)
    elif mode == "text":
        scores = {chunk_id: 1.0 / (RRF_K + rank) for chunk_id, rank in text.ranks.items()}
    else:
        scores = reciprocal_rank_fusion([vector.ranks, text.ranks, preferred.ranks])
    ordered = sorted(scores, key=lambda chunk_id: (-scores[chunk_id], chunk_id))

    chunks = Chunk.objects.select_related("document").in_bulk(ordered[: max(CANDIDATES, k * 4)])
    results: list[SearchResult] = []
    per_document: dict[int, int] = {}
    for chunk_id in ordered:
        chunk = chunks.get(chunk_id)
        if chunk is None:
            continue
        if max_per_document and per_document.get(chunk.document_id, 0) >= max_per_document:
            continue
        per_document[chunk.document_id] = per_document.get(chunk.document_id, 0) + 1
        results.append(
            SearchResult(
                chunk_id=chunk.id,
                document_slug=chunk.document.slug,
                document_title=chunk.document.title,
                category=chunk.document.category,
                heading_path=chunk.heading_path,
                text=chunk.text,
                score=scores[chunk_id],
                vector_rank=vector.ranks.get(chunk_id),
                text_rank=text.ranks.get(chunk_id),
                vector_similarity=vector.similarity.get(chunk_id),
            )
        )
        if len(results) >= k:
            break
    return results
