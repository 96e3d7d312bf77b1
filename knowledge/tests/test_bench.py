"""The search benchmark on a small corpus: the figures are there and the real tables stay untouched."""

import pytest
from django.db import connection

from knowledge.bench import RARE_CATEGORY, WIDE_CATEGORY, run_benchmark
from knowledge.models import Chunk

pytestmark = pytest.mark.django_db


def _scratch_schemas() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'bench\\_%%'")
        return [name for (name,) in cursor.fetchall()]


def test_benchmark_reports_figures_in_a_scratch_schema_it_drops():
    # Given the real knowledge base (the demo data)
    real_chunks = list(Chunk.objects.order_by("id").values_list("id", "text"))
    with connection.cursor() as cursor:
        cursor.execute("SHOW search_path")
        search_path = cursor.fetchone()[0]

    # When the benchmark runs on a small synthetic corpus
    report = run_benchmark(chunks=2000, queries=20, seed=1, k=10)

    # Then it reports every figure, with high recall and k results under both filters
    assert report.hnsw_build_seconds > 0
    assert report.load_seconds > 0
    assert set(report.latency) == {"vector", "text", "hybrid"}
    assert all(latency.p50 <= latency.p95 <= latency.p99 for latency in report.latency.values())
    assert report.recall >= 0.95
    assert [f.category for f in report.filtered] == [RARE_CATEGORY, WIDE_CATEGORY]
    assert [f.rows for f in report.filtered] == [20, 400]
    assert all(f.min_results == 10 and f.share_with_k == 1 for f in report.filtered)
    assert all(f.recall >= 0.95 for f in report.filtered)
    assert len(report.ef_sweep) >= 3
    assert any(line.startswith("vector recall@10") for line in report.lines())

    # And the scratch schema is gone, the search path restored and the real chunks untouched
    assert _scratch_schemas() == []
    with connection.cursor() as cursor:
        cursor.execute("SHOW search_path")
        assert cursor.fetchone()[0] == search_path
    assert list(Chunk.objects.order_by("id").values_list("id", "text")) == real_chunks


def test_scratch_schema_is_dropped_when_the_benchmark_fails(monkeypatch):
    def broken_indexes(*args, **kwargs):
        raise RuntimeError("index build failed")

    monkeypatch.setattr("knowledge.bench._build_indexes", broken_indexes)

    with pytest.raises(RuntimeError, match="index build failed"):
        run_benchmark(chunks=200, queries=2)

    assert _scratch_schemas() == []
