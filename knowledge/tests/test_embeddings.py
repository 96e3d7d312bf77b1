"""The one query-embedding cache: per process, and shared across processes through the Django cache."""

from __future__ import annotations

import pytest

from knowledge import embeddings
from knowledge.embeddings import embed_query


def test_a_query_embedded_by_one_process_is_reused_by_another(monkeypatch):
    # Given a query embedded once by a process that had not seen it (so it goes to the shared cache)
    embeddings._embed_query_cached.cache_clear()
    vector = embed_query("Can I pay in installments?")
    # When another process asks (no per-process memo) and the model is not available
    embeddings._embed_query_cached.cache_clear()

    def no_model(texts):
        raise AssertionError("embedded again")

    monkeypatch.setattr(embeddings, "embed_texts", no_model)

    # Then the shared cache answers, whitespace aside
    assert embed_query("  Can I pay in installments?") == pytest.approx(vector, abs=1e-6)
    assert len(vector) == 384
