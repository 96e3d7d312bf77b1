"""Search benchmark: a synthetic clustered corpus in a scratch schema, timed through search_knowledge.

The scratch schema copies the app's knowledge tables and indexes, and ``search_path`` points at it
while the benchmark runs, so the production search code runs unchanged and the real tables are
never touched. The schema is dropped however the run ends.
"""

from __future__ import annotations

import json
import os
import statistics
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from time import perf_counter
from typing import Literal

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from knowledge.embeddings import embedding_model_name
from knowledge.index_version import bump_search_version
from knowledge.languages import DEFAULT_LANGUAGE
from knowledge.models import EMBEDDING_DIMENSIONS
from knowledge.search import CANDIDATES, SearchMode, search_knowledge
from knowledge.vector_search import filtered_chunk_count, vector_candidates, vector_search_sql

TABLES = ("knowledge_document", "knowledge_chunk")
CHUNKS_PER_DOCUMENT = 10
CLUSTERS = 100
WORDS_PER_CLUSTER = 40
# Per-dimension noise: |noise| ~ 0.05 * sqrt(384) ~ 1, so a chunk sits ~45 degrees from its
# centroid, and clusters overlap enough that near neighbours are not trivially separable.
CHUNK_NOISE = 0.05
QUERY_NOISE = 0.03
RARE_CATEGORY = "bench-rare"  # every 100th document: 1% of the rows
WIDE_CATEGORY = "bench-wide"  # every 5th document: 20% of the rows, takes the HNSW path
# In every chunk: a lexeme the common-lexeme filter must drop, as a product's own name would be.
FILLER = ("orbit", "team", "plan", "account", "feature", "support", "report", "data", "setting")
EF_SWEEP = (40, 64, 100, 160)
BENCH_MODES: tuple[SearchMode, ...] = ("vector", "text", "hybrid")
VECTOR_STRATEGIES: tuple[Literal["exact", "hnsw"], ...] = ("exact", "hnsw")
SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]


@dataclass
class Latency:
    p50: float
    p95: float
    p99: float

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Latency:
        ms = sorted(s * 1000 for s in seconds)
        if len(ms) == 1:
            return cls(ms[0], ms[0], ms[0])
        cuts = statistics.quantiles(ms, n=100, method="inclusive")
        return cls(cuts[49], cuts[94], cuts[98])

    def __str__(self) -> str:
        return f"p50 {self.p50:6.2f} ms  p95 {self.p95:6.2f} ms  p99 {self.p99:6.2f} ms"


@dataclass
class FilteredFigures:
    category: str
    rows: int
    latency: Latency
    recall: float
    min_results: int
    share_with_k: float


@dataclass
class BenchReport:
    chunks: int
    documents: int
    queries: int
    k: int
    load_seconds: float = 0.0
    tsvector_seconds: float = 0.0
    hnsw_build_seconds: float = 0.0
    other_index_seconds: float = 0.0
    latency: dict[str, Latency] = field(default_factory=dict)
    recall: float = 0.0
    exact_latency: Latency | None = None
    ef_sweep: list[tuple[int, float, Latency]] = field(default_factory=list)
    filtered: list[FilteredFigures] = field(default_factory=list)
    strategies: dict[str, tuple[float, Latency]] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """The report as printed by ``bench_search``."""
        out = [
            f"corpus: {self.chunks} chunks in {self.documents} documents, {EMBEDDING_DIMENSIONS}-d, "
            f"{self.queries} queries, k={self.k}",
            f"load (generate + COPY): {self.load_seconds:.1f} s; tsvector: {self.tsvector_seconds:.1f} s",
            f"HNSW build (m=16, ef_construction=64): {self.hnsw_build_seconds:.1f} s; "
            f"GIN + B-tree indexes: {self.other_index_seconds:.1f} s",
        ]
        out += [f"{mode:>7} search: {lat}" for mode, lat in self.latency.items()]
        out.append(f"vector recall@{self.k} vs exact: {self.recall:.3f}")
        if self.exact_latency:
            out.append(f"  exact scan (index scans off): {self.exact_latency}")
        out += [
            f"  ef_search={ef:<3} (raw, LIMIT {CANDIDATES}): recall@{self.k} {recall:.3f}  {lat}"
            for ef, recall, lat in self.ef_sweep
        ]
        for f in self.filtered:
            out.append(
                f"filter {f.category} ({f.rows} rows, {100 * f.rows / max(self.chunks, 1):.1f}%): "
                f"{f.latency}; "
                f"recall@{self.k} {f.recall:.3f}; min results {f.min_results}, "
                f"{100 * f.share_with_k:.0f}% of queries returned k"
            )
        for strategy, (mean_rows, lat) in self.strategies.items():
            out.append(f"  raw {strategy:<16}: mean rows {mean_rows:5.1f}  {lat}")
        return out


def _pseudo_words(rng: np.random.Generator, count: int) -> list[str]:
    words: set[str] = set()
    while len(words) < count:
        words.add("".join(rng.choice(SYLLABLES, size=3)) + "x")  # trailing x: the stemmer leaves it
    return sorted(words)


def _unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=-1, keepdims=True)


@dataclass
class _Corpus:
    centroids: np.ndarray
    vocabularies: list[list[str]]
    documents: int


def _category(document_index: int) -> str:
    if document_index % 100 == 0:
        return RARE_CATEGORY
    if document_index % 5 == 1:
        return WIDE_CATEGORY
    return f"bench-{document_index % 4}"


@contextmanager
def scratch_schema() -> Iterator[tuple[str, str]]:
    """Create ``bench_<pid>`` with empty copies of the knowledge tables and search inside it.

    Yields (scratch schema, schema of the real tables).
    """
    name = f"bench_{os.getpid()}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schema(), current_setting('search_path')")
        source, original_path = cursor.fetchone()
        cursor.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
        cursor.execute(f"CREATE SCHEMA {name}")
        for table in TABLES:
            # No indexes yet: loading first and indexing afterwards is several times faster.
            cursor.execute(
                f"CREATE TABLE {name}.{table} (LIKE {source}.{table} "
                "INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING CONSTRAINTS INCLUDING STORAGE)"
            )
        cursor.execute("SELECT set_config('search_path', %s, false)", [f"{name}, {source}"])
    # Derived caches (common lexemes, filter sizes) are keyed on the version: never share them
    # between the scratch corpus and the real one.
    bump_search_version()
    try:
        yield name, source
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('search_path', %s, false)", [original_path])
            cursor.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
        bump_search_version()


def _load(rng: np.random.Generator, chunks: int) -> _Corpus:
    clusters = min(CLUSTERS, max(10, chunks // 100))
    centroids = _unit(rng.normal(size=(clusters, EMBEDDING_DIMENSIONS)))
    vocabularies = [_pseudo_words(rng, WORDS_PER_CLUSTER) for _ in range(clusters)]
    documents = -(-chunks // CHUNKS_PER_DOCUMENT)
    model, now = embedding_model_name(), timezone.now()
    vector_format = "[" + ",".join(["%.6f"] * EMBEDDING_DIMENSIONS) + "]"
    raw = connection.cursor().cursor  # psycopg cursor: Django's wrapper has no COPY
    with raw.copy(
        "COPY knowledge_document (id, slug, title, category, tags, body, language, source, is_active, "
        "content_hash, indexed_hash, indexed_model, index_status, index_error, indexed_at, created_at, "
        "updated_at) FROM STDIN"
    ) as copy:
        for d in range(documents):
            tags = json.dumps([f"t{d % 7}"])
            # All English, like a single-language knowledge base: the language filter keeps every row.
            row = (
                d + 1,
                f"bench-{d}",
                f"Document {d}",
                _category(d),
                tags,
                "",
                DEFAULT_LANGUAGE,
                "bench",
                True,
            )
            copy.write_row((*row, "", "", model, "indexed", "", now, now, now))
    topics = rng.integers(0, clusters, size=documents)
    with raw.copy(
        "COPY knowledge_chunk (id, document_id, ordinal, heading_path, text, embedding, embedding_model, "
        "created_at) FROM STDIN"
    ) as copy:
        for start in range(0, chunks, 5000):
            ids = np.arange(start, min(chunks, start + 5000))
            # A document keeps to its topic for most chunks and strays for the rest.
            own = rng.random(len(ids)) < 0.7
            cluster = np.where(own, topics[ids // CHUNKS_PER_DOCUMENT], rng.integers(0, clusters, len(ids)))
            noise = rng.normal(scale=CHUNK_NOISE, size=(len(ids), EMBEDDING_DIMENSIONS))
            vectors = _unit(centroids[cluster] + noise)
            for i, c, vector in zip(ids.tolist(), cluster.tolist(), vectors.tolist(), strict=True):
                words = rng.choice(vocabularies[c], size=14)
                heading = f"Document {i // CHUNKS_PER_DOCUMENT} > {words[0]} {words[1]}"
                text = " ".join([*words[2:], *rng.choice(FILLER, size=4), "orbit"])
                chunk_row = (i + 1, i // CHUNKS_PER_DOCUMENT + 1, i % CHUNKS_PER_DOCUMENT, heading, text)
                copy.write_row((*chunk_row, vector_format % tuple(vector), model, now))
    return _Corpus(centroids, vocabularies, documents)


def _build_indexes(schema: str, source: str, report: BenchReport) -> None:
    with connection.cursor() as cursor:
        started = perf_counter()
        # The same weighting as knowledge.indexing: headings (A) above body (B).
        cursor.execute(
            "UPDATE knowledge_chunk SET search_vector = "
            "setweight(to_tsvector('english', coalesce(heading_path, '')), 'A') || "
            "setweight(to_tsvector('english', text), 'B')"
        )
        report.tsvector_seconds = perf_counter() - started
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = %s AND tablename = ANY(%s)",
            [source, list(TABLES)],
        )
        definitions = cursor.fetchall()
        # The HNSW graph for 100k x 384 needs ~200 MB; less makes the build spill and crawl.
        cursor.execute("SET maintenance_work_mem = '1GB'")
        try:
            for name, definition in definitions:
                started = perf_counter()
                cursor.execute(definition.replace(f" ON {source}.", f" ON {schema}."))
                elapsed = perf_counter() - started
                if name == "chunk_embedding_hnsw":
                    report.hnsw_build_seconds = elapsed
                else:
                    report.other_index_seconds += elapsed
        finally:
            cursor.execute("RESET maintenance_work_mem")
        cursor.execute("ANALYZE knowledge_document")
        cursor.execute("ANALYZE knowledge_chunk")


def _exact_ids(vector: Sequence[float], *, where: str, params: list, k: int) -> list[int]:
    literal = "[" + ",".join(f"{x:.7f}" for x in vector) + "]"
    with transaction.atomic(), connection.cursor() as cursor:
        # Ground truth: no index may answer, so Postgres computes every distance and sorts.
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute(*vector_search_sql(where, params, vector_literal=literal, limit=k, exact=False))
        return [row[0] for row in cursor.fetchall()]


def _recall(found: list[list[int]], truth: list[list[int]], k: int) -> float:
    hits = sum(len(set(f[:k]) & set(t[:k])) for f, t in zip(found, truth, strict=True))
    return hits / max(1, sum(min(k, len(t)) for t in truth))


def _timed(fn: Callable[[], list]) -> tuple[float, list]:
    started = perf_counter()
    value = fn()
    return perf_counter() - started, value


def run_benchmark(
    *, chunks: int, queries: int, seed: int = 0, k: int = 10, progress: Callable[[str], None] | None = None
) -> BenchReport:
    """Build the scratch corpus, measure search through ``search_knowledge``, drop the corpus."""
    say = progress or (lambda message: None)
    rng = np.random.default_rng(seed)
    report = BenchReport(chunks=chunks, documents=0, queries=queries, k=k)
    with scratch_schema() as (schema, source):
        say(f"loading {chunks} chunks into schema {schema}")
        started = perf_counter()
        corpus = _load(rng, chunks)
        report.load_seconds, report.documents = perf_counter() - started, corpus.documents
        say("building indexes")
        _build_indexes(schema, source, report)

        picks = rng.integers(0, len(corpus.centroids), size=queries)
        noise = rng.normal(scale=QUERY_NOISE, size=(queries, EMBEDDING_DIMENSIONS))
        vectors = _unit(corpus.centroids[picks] + noise).tolist()
        texts = [
            "how does {} {} work with {} in orbit".format(*rng.choice(corpus.vocabularies[c], size=3))
            for c in picks.tolist()
        ]
        # The filter search_knowledge itself applies to an English search.
        where = "d.is_active AND c.embedding_model = %s AND d.language = %s"
        params = [embedding_model_name(), DEFAULT_LANGUAGE]

        def search(i: int, mode: SearchMode, category: str | None = None) -> list[int]:
            # Caching off, and no per-document cap, so recall compares like with like.
            results = search_knowledge(
                texts[i],
                k=k,
                mode=mode,
                query_vector=vectors[i],
                max_per_document=None,
                use_cache=False,
                category=category,
            )
            return [r.chunk_id for r in results]

        # Warm the per-version caches (common lexemes, filter sizes) and the buffer cache.
        for mode in BENCH_MODES:
            for i in range(min(5, queries)):
                search(i, mode)
                search(i, mode, category=RARE_CATEGORY)
                search(i, mode, category=WIDE_CATEGORY)

        say("measuring unfiltered search")
        found: list[list[int]] = []
        for mode in BENCH_MODES:
            timings = []
            for i in range(queries):
                elapsed, ids = _timed(partial(search, i, mode))
                timings.append(elapsed)
                if mode == "vector":
                    found.append(ids)
            report.latency[mode] = Latency.of(timings)
        exact = [_timed(partial(_exact_ids, v, where=where, params=params, k=k)) for v in vectors]
        truth = [ids for _, ids in exact]
        report.exact_latency = Latency.of([elapsed for elapsed, _ in exact])
        report.recall = _recall(found, truth, k)

        say("sweeping ef_search")
        for ef in EF_SWEEP:
            runs = [
                _timed(
                    partial(
                        vector_candidates,
                        v,
                        where=where,
                        params=params,
                        limit=CANDIDATES,
                        strategy="hnsw",
                        ef_search=ef,
                    )
                )
                for v in vectors
            ]
            ids = [[row[0] for row in rows] for _, rows in runs]
            report.ef_sweep.append((ef, _recall(ids, truth, k), Latency.of([t for t, _ in runs])))

        say("measuring filtered search")
        for category in (RARE_CATEGORY, WIDE_CATEGORY):
            f_where, f_params = f"{where} AND d.category = %s", [*params, category]
            runs = [_timed(partial(search, i, "vector", category=category)) for i in range(queries)]
            f_truth = [_exact_ids(v, where=f_where, params=f_params, k=k) for v in vectors]
            counts = [len(ids) for _, ids in runs]
            report.filtered.append(
                FilteredFigures(
                    category=category,
                    rows=filtered_chunk_count(f_where, f_params),
                    latency=Latency.of([t for t, _ in runs]),
                    recall=_recall([ids for _, ids in runs], f_truth, k),
                    min_results=min(counts),
                    share_with_k=sum(c >= min(k, len(t)) for c, t in zip(counts, f_truth, strict=True))
                    / queries,
                )
            )
            # Both vector strategies, raw, side by side: what EXACT_SCAN_MAX_ROWS is chosen from.
            for strategy in VECTOR_STRATEGIES:
                runs = [
                    _timed(
                        partial(
                            vector_candidates,
                            v,
                            where=f_where,
                            params=f_params,
                            limit=CANDIDATES,
                            strategy=strategy,
                        )
                    )
                    for v in vectors
                ]
                mean_rows = statistics.fmean(min(k, len(rows)) for _, rows in runs)
                report.strategies[f"{category} {strategy}"] = (mean_rows, Latency.of([t for t, _ in runs]))
    return report
