"""The vector leg of knowledge search: the chunks nearest to a query vector under a filter.

A filter that keeps few chunks is scanned exactly (its rows' true distances); a wider one goes through
the HNSW index with pgvector's iterative scan, falling back to the exact scan if the index comes back
short, so a filter always returns k rows when k exist (README, "Search benchmark").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import partial
from typing import Literal

from django.core.cache import cache
from django.db import connection, transaction

from knowledge.index_version import SEARCH_CACHE_TIMEOUT, index_cache_key

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


def filtered_chunk_count(where: str, params: list) -> int:
    """How many chunks a filter keeps, cached per index version (it picks the vector strategy)."""
    key = index_cache_key("filter-rows", where, params)
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
    literal = vector_literal(query_vector)
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


def vector_literal(query_vector: Sequence[float]) -> str:
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
        cursor.execute(sql, [vector_literal(query_vector), *params, limit, list(categories), limit])
        rows = cursor.fetchall()
    return (
        _best_first(row[1:] for row in rows if not row[0]),
        _best_first(row[1:] for row in rows if row[0]),
    )
