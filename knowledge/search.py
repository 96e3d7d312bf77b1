"""Knowledge-base search: pgvector HNSW candidates and Postgres full-text candidates fused by RRF.

Every search is in one language: only documents written in it are searched, and the full-text leg
parses the query with that language's text-search configuration.
"""

from __future__ import annotations

import hashlib
import json
import re
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Literal

from django.core.cache import cache
from django.db import connection, transaction

from knowledge.embeddings import embed_query, embedding_model_name
from knowledge.languages import DEFAULT_LANGUAGE, LANGUAGES, text_search_config
from salesagent.metrics import timed_search

SearchMode = Literal["hybrid", "vector", "text"]
SEARCH_MODES: tuple[str, ...] = ("hybrid", "vector", "text")
RRF_K = 60
CANDIDATES = 40
# bench_search, 100,000 clustered chunks, LIMIT 40, two runs: recall@10 0.92-0.95 at ef_search=40,
# 0.96-0.98 at 64, 0.977-0.990 at 100, 0.984 at 160 (target 0.98), for < 1 ms more at p95 than 40.
# Raised to the LIMIT when more rows are asked.
HNSW_EF_SEARCH = 160
# A filter keeping at most this many chunks is answered by an exact scan of just those rows (B-tree
# on document, then distances). Embeddings live in TOAST (a chunk row with its tsvector exceeds 2 kB),
# so an exact scan costs ~3.4 us per row here: 1,000 rows 3.4 ms, 20,000 rows 63 ms. HNSW with
# iterative scans returned k rows in 3.3 ms at 1% and 3.9 ms at 20% of 100,000 rows, so the
# crossover is near 1,000 rows; above it the index wins and keeps winning as filters widen.
EXACT_SCAN_MAX_ROWS = 1_500
# Upper bound on tuples an iterative index scan may visit before giving up (pgvector's default).
# Only filters above EXACT_SCAN_MAX_ROWS take that path, and if it still comes back short we fall
# back to the exact scan, so this caps latency without ever costing results.
HNSW_MAX_SCAN_TUPLES = 20_000
# Lexemes found in more than this share of chunks ("orbit", "plan" in a product's own help centre)
# carry no signal for ranking; Postgres full-text ranking has no IDF, so they are dropped from queries.
COMMON_LEXEME_SHARE = 0.25
MIN_CHUNKS_FOR_COMMON_LEXEMES = 20
LEXEME_RE = re.compile(r"'((?:[^']|'')+)'")
# Explicit web-search syntax: a quoted phrase, a leading -exclusion or an upper-case OR. Lower-case
# "or" is left out on purpose: prospects write it in prose ("Basic or Standard?"), where AND-ing
# each side would match almost nothing, and OR-ing all lexemes already covers both alternatives.
WEBSEARCH_SYNTAX_RE = re.compile(r'"|(?:^|\s)-\w|\sOR\s')
SEARCH_VERSION_KEY = "knowledge:search-version"
SEARCH_CACHE_TIMEOUT = 300


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


def _digest(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:32]


def search_version() -> int:
    """A counter bumped whenever the indexed chunks change; part of every derived cache key."""
    # The key only ever holds a positive int; the cache API types a missing value as None.
    return cache.get_or_set(SEARCH_VERSION_KEY, 1, timeout=None) or 1


def bump_search_version() -> None:
    """Invalidate everything cached from the index (call after chunks change)."""
    try:
        cache.incr(SEARCH_VERSION_KEY)
    except ValueError:
        cache.set(SEARCH_VERSION_KEY, 2, timeout=None)


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


def filtered_chunk_count(where: str, params: list) -> int:
    """How many chunks a filter keeps, cached per index version (it picks the vector strategy)."""
    key = f"knowledge:filter-rows:{search_version()}:{_digest(where, params)}"
    count = cache.get(key)
    if count is None:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT count(*) FROM knowledge_chunk c JOIN knowledge_document d ON d.id = c.document_id "
                f"WHERE {where}",
                params,
            )
            count = cursor.fetchone()[0]
        cache.set(key, count, timeout=SEARCH_CACHE_TIMEOUT)
    return count


def vector_search_sql(
    where: str, params: list, *, vector_literal: str, limit: int, exact: bool
) -> tuple[str, list]:
    """The nearest-chunk SQL and its params, as ``vector_candidates`` executes it.

    ``exact=False`` orders by distance straight off the chunk table so the HNSW index
    ``chunk_embedding_hnsw`` serves it. ``exact=True`` materialises the filtered rows first, which
    keeps the planner off the index and ranks those rows by their true distance.
    """
    if exact:
        sql = f"""
            WITH filtered AS MATERIALIZED (
                SELECT c.id, c.document_id, c.embedding
                FROM knowledge_chunk c JOIN knowledge_document d ON d.id = c.document_id
                WHERE {where}
            )
            SELECT id, document_id, 1 - (embedding <=> %s::vector) AS similarity
            FROM filtered
            ORDER BY embedding <=> %s::vector
            LIMIT %s
        """
        return sql, [*params, vector_literal, vector_literal, limit]
    sql = f"""
        SELECT c.id, c.document_id, 1 - (c.embedding <=> %s::vector) AS similarity
        FROM knowledge_chunk c JOIN knowledge_document d ON d.id = c.document_id
        WHERE {where}
        ORDER BY c.embedding <=> %s::vector
        LIMIT %s
    """
    return sql, [vector_literal, *params, vector_literal, limit]


def hnsw_settings_sql() -> str:
    """Transaction-local HNSW settings; params are (ef_search, max_scan_tuples)."""
    # relaxed_order keeps scanning the graph until LIMIT rows pass the WHERE clause (pgvector 0.8),
    # so rows of inactive documents or another embedding model never leave us short of k.
    return (
        "SELECT set_config('hnsw.ef_search', %s, true), "
        "set_config('hnsw.iterative_scan', 'relaxed_order', true), "
        "set_config('hnsw.max_scan_tuples', %s, true)"
    )


def vector_candidates(
    query_vector: Sequence[float],
    *,
    where: str,
    params: list,
    limit: int,
    strategy: Literal["auto", "hnsw", "exact"] = "auto",
    ef_search: int = HNSW_EF_SEARCH,
) -> list[tuple[int, int, float]]:
    """Up to ``limit`` (chunk id, document id, similarity) rows nearest to the vector, best first.

    ``auto`` (used by search) picks the exact scan when the filter keeps few rows, else HNSW, and
    retries exactly if the index scan ran out of tuples before finding every row that exists.
    """
    literal = _vector_literal(query_vector)
    expected: int | None = None
    if strategy == "auto":
        # Even "unfiltered" search filters (active documents, current model); a small knowledge
        # base is cheaper and exact to scan whole.
        available = filtered_chunk_count(where, params)
        expected = min(limit, available)
        strategy = "exact" if available <= EXACT_SCAN_MAX_ROWS else "hnsw"
    query = partial(vector_search_sql, where, params, vector_literal=literal, limit=limit)
    if strategy == "exact":
        # One statement needing no settings: no transaction, so no BEGIN and COMMIT round trips.
        with connection.cursor() as cursor:
            cursor.execute(*query(exact=True))
            rows = cursor.fetchall()
    else:
        # The HNSW settings are transaction-local, so they need a transaction to live in.
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(hnsw_settings_sql(), [str(max(ef_search, limit)), str(HNSW_MAX_SCAN_TUPLES)])
            cursor.execute(*query(exact=False))
            rows = cursor.fetchall()
            if expected is not None and len(rows) < expected:
                cursor.execute(*query(exact=True))
                rows = cursor.fetchall()
    return _best_first(rows)


def _vector_literal(query_vector: Sequence[float]) -> str:
    return "[" + ",".join(f"{x:.7f}" for x in query_vector) + "]"


def _best_first(rows: Iterable[Sequence]) -> list[tuple[int, int, float]]:
    # relaxed_order may return rows slightly out of order; rank by the exact similarity.
    ranked = sorted(rows, key=lambda row: row[2], reverse=True)
    return [(chunk_id, document_id, float(similarity)) for chunk_id, document_id, similarity in ranked]


def vector_candidates_and_preferred(
    query_vector: Sequence[float], *, where: str, params: list, categories: Sequence[str], limit: int
) -> tuple[list[tuple[int, int, float]], list[tuple[int, int, float]]]:
    """``vector_candidates`` for the filter, and for its chunks in ``categories``.

    When the filter is small enough for the exact scan, so is its subset, and one statement ranks
    both from one pass over the rows (their distances computed once); else each is searched alone.
    """
    preferred_where = f"{where} AND d.category = ANY(%s)"
    preferred_params = [*params, list(categories)]
    if filtered_chunk_count(where, params) > EXACT_SCAN_MAX_ROWS:
        return (
            vector_candidates(query_vector, where=where, params=params, limit=limit),
            vector_candidates(query_vector, where=preferred_where, params=preferred_params, limit=limit),
        )
    sql = f"""
        WITH filtered AS MATERIALIZED (
            SELECT c.id, c.document_id, d.category, c.embedding <=> %s::vector AS distance
            FROM knowledge_chunk c JOIN knowledge_document d ON d.id = c.document_id
            WHERE {where}
        )
        (SELECT false, id, document_id, 1 - distance FROM filtered ORDER BY distance LIMIT %s)
        UNION ALL
        (SELECT true, id, document_id, 1 - distance FROM filtered WHERE category = ANY(%s)
         ORDER BY distance LIMIT %s)
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [_vector_literal(query_vector), *params, limit, list(categories), limit])
        rows = cursor.fetchall()
    return (
        _best_first(row[1:] for row in rows if not row[0]),
        _best_first(row[1:] for row in rows if row[0]),
    )


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
    key = f"knowledge:common-lexemes:{search_version()}:{language}"
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
    vector_digest = _digest(array("f", query_vector).tobytes().hex()) if query_vector else None
    shape = (max_per_document, vector_digest if mode != "text" else None, sorted(prefer_categories or []))
    key = f"knowledge:search:{search_version()}:{_digest(query, k, mode, where, params, *shape)}"
    hits = cache.get(key)
    if hits is not None:
        # Chunk text is loaded fresh, so a cached ranking never shows content that is gone.
        results = hydrate(hits)
        if results is not None:
            return results
    hits = rank()
    cache.set(key, hits, timeout=SEARCH_CACHE_TIMEOUT)
    return hydrate(hits) or []
