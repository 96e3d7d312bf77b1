"""The one query-embedding cache: per process, and shared across processes through the Django cache."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings

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


@pytest.mark.parametrize("threads", [1, 2])
def test_the_local_model_uses_the_configured_number_of_threads(settings, monkeypatch, threads):
    # Given EMBEDDING_THREADS and no model loaded yet in this process
    settings.EMBEDDING_THREADS = threads
    monkeypatch.setattr(embeddings, "_local_model", None)

    # When a text is embedded
    vector = embeddings.embed_texts(["hello"])[0]

    # Then the model was loaded with an ONNX Runtime session of that many threads
    assert embeddings._local_model is not None
    assert embeddings._local_model.session.get_session_options().intra_op_num_threads == threads
    assert len(vector) == 384


def test_numpy_blas_runs_on_one_thread_in_a_project_process():
    # Given a new process (BLAS threads start with the library) with no OPENBLAS_NUM_THREADS of its own
    script = (
        "import django; django.setup()\n"
        "from conversations.agent import classifier\n"
        "from threadpoolctl import threadpool_info\n"
        "pools = [pool for pool in threadpool_info() if pool['internal_api'] == 'openblas']\n"
        "print(sorted({pool['num_threads'] for pool in pools}))\n"
    )
    unset = {"OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"}
    env = {key: value for key, value in os.environ.items() if key not in unset}
    env |= {"DJANGO_SETTINGS_MODULE": "salesagent.settings", "DEBUG": "true"}

    # When it sets Django up and loads the intent classifier (numpy)
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )

    # Then numpy's OpenBLAS has one thread, whatever the number of cores: its helper threads spin
    # between the classifier's small products (settings.py)
    assert done.stdout.strip().splitlines()[-1] == "[1]"
