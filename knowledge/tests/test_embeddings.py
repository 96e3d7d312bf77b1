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


@pytest.mark.parametrize(("setting", "expected"), [("1", 1), ("2", 2)])
def test_the_local_model_uses_the_configured_number_of_torch_threads(setting, expected):
    # Given a new process (the thread count is process-wide) configured with EMBEDDING_TORCH_THREADS
    script = (
        "import django; django.setup()\n"
        "import torch\n"
        "from knowledge.embeddings import embed_texts\n"
        "embed_texts(['hello'])\n"
        "print(torch.get_num_threads())\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "salesagent.settings",
        "DEBUG": "true",
        "EMBEDDING_TORCH_THREADS": setting,
        # Torch would start with as many threads as cores; the setting, not the default, must decide.
        "OMP_NUM_THREADS": "3",
    }

    # When it loads the model and embeds a text
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )

    # Then torch runs with the configured number of threads
    assert done.stdout.strip().splitlines()[-1] == str(expected)
